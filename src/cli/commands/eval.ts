/**
 * `zapflow eval --input labeled.jsonl [--json] [--model embedded|claude]`: classifies a labeled set and
 * prints accuracy per level and of the full path, escalation precision/recall/F1, reason accuracy, the ten
 * most frequent confusions and the throughput (conversations per second, classification only).
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { labeledConversationSchema, type LabeledConversation } from '../../agents/embedded/dataset.js';
import { classifyLine, createModel, evaluate, formatReport, jsonlLines, progressBar, type EvaluationReport, type OutputRecord } from '../../agents/eval/index.js';
import type { Model } from '../../agents/model.js';
import { defaultTaxonomy, type Taxonomy } from '../../taxonomy/index.js';
import { parseModelChoice } from './classify.js';

export interface EvalRunOptions {
  input: string;
  model: Model;
  taxonomy?: Taxonomy;
  stderr?: NodeJS.WriteStream;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

export interface EvalRunResult {
  report: EvaluationReport;
  /** Lines that are not labeled conversations (skipped from scoring, listed here). */
  invalidLines: string[];
}

export async function runEval(options: EvalRunOptions): Promise<EvalRunResult> {
  const taxonomy = options.taxonomy ?? defaultTaxonomy();
  const now = options.now ?? (() => performance.now());
  const gold: LabeledConversation[] = [];
  const invalidLines: string[] = [];
  const lines = jsonlLines(readFileSync(options.input, 'utf8'));
  for (const line of lines) {
    try {
      const parsed = labeledConversationSchema.safeParse(JSON.parse(line.text));
      if (parsed.success) gold.push(parsed.data);
      else invalidLines.push(`line ${line.lineNumber}: ${parsed.error.issues[0]?.message ?? 'not a labeled conversation'}`);
    } catch {
      invalidLines.push(`line ${line.lineNumber}: not valid JSON`);
    }
  }
  const progress = progressBar(gold.length, options.stderr ?? process.stderr);
  const records: OutputRecord[] = [];
  const started = now();
  for (const conversation of gold) {
    records.push(await classifyLine(options.model, taxonomy, { lineNumber: 0, text: JSON.stringify(conversation) }));
    progress.tick(records.length);
  }
  const seconds = (now() - started) / 1000;
  progress.finish();
  const report = evaluate(gold, records);
  report.throughput = seconds > 0 ? Math.round(gold.length / seconds) : gold.length;
  return { report, invalidLines };
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Score the classifier on a labeled JSONL set (accuracy per level, escalation P/R/F1, confusions, throughput)')
    .requiredOption('--input <file>', 'labeled JSONL (the format of data/datasets/typification-dev.jsonl)')
    .option('--model <model>', 'embedded (offline, default) or claude (needs ANTHROPIC_API_KEY)', 'embedded')
    .option('--json', 'print the report as JSON', false)
    .action(async (raw: { input: string; model: string; json: boolean }) => {
      try {
        const model = createModel(parseModelChoice(raw.model));
        const { report, invalidLines } = await runEval({ input: raw.input, model });
        for (const problem of invalidLines) process.stderr.write(`zapflow eval: skipped ${problem}\n`);
        process.stdout.write(raw.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report, `eval ${raw.input} (${model.provider})`)}\n`);
      } catch (error) {
        process.stderr.write(`zapflow eval: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
