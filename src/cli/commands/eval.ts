/**
 * `zapflow eval --input labeled.jsonl [--json] [--model embedded|claude] [--strict] [--compare <version|file>]`:
 * classifies a labeled set and prints accuracy per level and of the full path, escalation precision/recall/F1,
 * reason accuracy, the ten most frequent confusions and the throughput (conversations per second).
 *
 * It refuses to print a misleading score: an empty input, a label that is not in the taxonomy (named by line
 * and field) and — with --strict — any malformed line stop it with a non-zero exit; conversations the model
 * was trained on (same content hash) get a loud warning, because scoring them only measures memory.
 * `--compare` scores a second embedded model version on the same file, side by side.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { conversationHash } from '../../agents/embedded/content-hash.js';
import { labeledConversationSchema, type LabeledConversation } from '../../agents/embedded/dataset.js';
import { EmbeddedModel } from '../../agents/embedded/embedded-model.js';
import { labelProblem } from '../../agents/embedded/model-versions.js';
import { classifyLine, createModel, evaluate, formatReport, jsonlLines, progressBar, type EvaluationReport, type OutputRecord } from '../../agents/eval/index.js';
import type { Model } from '../../agents/model.js';
import { ZapflowError } from '../../engine/index.js';
import { defaultTaxonomy, type Taxonomy } from '../../taxonomy/index.js';
import { parseModelChoice } from './classify.js';

/** The labeled input cannot be scored honestly; the message names the line and the field. */
export class EvalInputError extends ZapflowError {
  constructor(message: string) {
    super('EVAL_INPUT', message);
  }
}

export interface EvalRunOptions {
  input: string;
  model: Model;
  /** A second model scored on the same conversations (`--compare`). */
  compareModel?: Model;
  taxonomy?: Taxonomy;
  /** Malformed lines stop the run instead of being skipped. */
  strict?: boolean;
  stderr?: NodeJS.WriteStream;
  /** Monotonic clock in ms. @default performance.now */
  now?: () => number;
}

export interface TrainingOverlap {
  /** Scored conversations whose content the model was trained on. */
  count: number;
  total: number;
}

export interface EvalRunResult {
  report: EvaluationReport;
  compareReport?: EvaluationReport;
  /** Lines that are not labeled conversations (skipped from scoring, listed here). */
  invalidLines: string[];
  overlap: TrainingOverlap;
  compareOverlap?: TrainingOverlap;
}

function issueText(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return 'not a labeled conversation';
  return issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message;
}

/** Parses the labeled file: malformed lines are listed (or thrown with --strict); bad labels always throw. */
export function readEvalInput(text: string, taxonomy: Taxonomy, strict: boolean, source: string): { gold: LabeledConversation[]; invalidLines: string[] } {
  const gold: LabeledConversation[] = [];
  const invalidLines: string[] = [];
  const seen = new Set<string>();
  for (const line of jsonlLines(text)) {
    let json: unknown;
    try {
      json = JSON.parse(line.text);
    } catch {
      invalidLines.push(`line ${line.lineNumber}: not valid JSON`);
      continue;
    }
    const parsed = labeledConversationSchema.safeParse(json);
    if (!parsed.success) {
      invalidLines.push(`line ${line.lineNumber}: ${issueText(parsed.error.issues[0])}`);
      continue;
    }
    const problem = labelProblem(parsed.data, taxonomy);
    if (problem) throw new EvalInputError(`${source} line ${line.lineNumber}: ${problem}; every label must be a path of the taxonomy.`);
    if (seen.has(parsed.data.id)) {
      invalidLines.push(`line ${line.lineNumber}: id: "${parsed.data.id}" appears twice (only the first is scored)`);
      continue;
    }
    seen.add(parsed.data.id);
    gold.push(parsed.data);
  }
  if (strict && invalidLines.length > 0) {
    throw new EvalInputError(`${source}: ${invalidLines.length} malformed line(s) with --strict; first: ${invalidLines[0] ?? ''}`);
  }
  if (gold.length === 0) {
    throw new EvalInputError(
      `${source} has no labeled conversations to score${invalidLines.length > 0 ? ` (${invalidLines.length} malformed line(s); first: ${invalidLines[0] ?? ''})` : ''}.`,
    );
  }
  return { gold, invalidLines };
}

/** What the report calls a model: the embedded model's versioned id, else its provider. */
export function modelName(model: Model): string {
  return model instanceof EmbeddedModel ? model.modelId : model.provider;
}

/** The model's own training hashes when it knows them (the embedded model does). */
function trainingHashesOf(model: Model): ReadonlySet<string> | undefined {
  return model instanceof EmbeddedModel ? model.trainingHashes : undefined;
}

function overlapOf(model: Model, gold: readonly LabeledConversation[]): TrainingOverlap {
  const hashes = trainingHashesOf(model);
  const count = hashes ? gold.filter((c) => hashes.has(conversationHash(c.messages))).length : 0;
  return { count, total: gold.length };
}

async function score(model: Model, taxonomy: Taxonomy, gold: readonly LabeledConversation[], options: EvalRunOptions): Promise<EvaluationReport> {
  const now = options.now ?? (() => performance.now());
  const progress = progressBar(gold.length, options.stderr ?? process.stderr);
  const records: OutputRecord[] = [];
  const started = now();
  for (const conversation of gold) {
    records.push(await classifyLine(model, taxonomy, { lineNumber: 0, text: JSON.stringify(conversation) }));
    progress.tick(records.length);
  }
  const seconds = (now() - started) / 1000;
  progress.finish();
  const report = evaluate(gold, records);
  report.throughput = seconds > 0 ? Math.round(gold.length / seconds) : gold.length;
  return report;
}

export async function runEval(options: EvalRunOptions): Promise<EvalRunResult> {
  const taxonomy = options.taxonomy ?? defaultTaxonomy();
  const { gold, invalidLines } = readEvalInput(readFileSync(options.input, 'utf8'), taxonomy, options.strict ?? false, options.input);
  const report = await score(options.model, taxonomy, gold, options);
  const result: EvalRunResult = { report, invalidLines, overlap: overlapOf(options.model, gold) };
  if (options.compareModel) {
    result.compareReport = await score(options.compareModel, taxonomy, gold, options);
    result.compareOverlap = overlapOf(options.compareModel, gold);
  }
  return result;
}

/** The loud warning printed when scored conversations were in a model's training set. */
export function overlapWarning(overlap: TrainingOverlap, modelId: string): string | undefined {
  if (overlap.count === 0) return undefined;
  const share = ((100 * overlap.count) / overlap.total).toFixed(1);
  const bar = '!'.repeat(78);
  return [
    bar,
    `!! WARNING: ${overlap.count} of ${overlap.total} conversations (${share} %) are in the training set of ${modelId}`,
    '!! (same content hash). Scores on them measure memory, not accuracy on new conversations:',
    '!! evaluate on held-out data, or use `npm run eval:cv` for cross-validated figures.',
    bar,
  ].join('\n');
}

/** Two reports side by side, with the difference (candidate − current) in points. */
export function formatComparison(current: EvaluationReport, candidate: EvaluationReport, names: [string, string]): string {
  const rows: [string, number, number][] = [
    ['business unit', current.accuracy.businessUnit, candidate.accuracy.businessUnit],
    ['product', current.accuracy.product, candidate.accuracy.product],
    ['motive', current.accuracy.motive, candidate.accuracy.motive],
    ['full path', current.accuracy.fullPath, candidate.accuracy.fullPath],
    ['escalation precision', current.escalation.precision, candidate.escalation.precision],
    ['escalation recall', current.escalation.recall, candidate.escalation.recall],
    ['reason accuracy', current.reasonAccuracy, candidate.reasonAccuracy],
  ];
  const width = Math.max(14, ...names.map((n) => n.length));
  const lines = [`| ${'measure'.padEnd(20)} | ${names[0].padEnd(width)} | ${names[1].padEnd(width)} |      Δ |`];
  for (const [name, a, b] of rows) {
    const delta = b - a;
    lines.push(`| ${name.padEnd(20)} | ${a.toFixed(1).padStart(width)} | ${b.toFixed(1).padStart(width)} | ${`${delta >= 0 ? '+' : ''}${delta.toFixed(1)}`.padStart(6)} |`);
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('Score the classifier on a labeled JSONL set (accuracy per level, escalation P/R/F1, confusions, throughput)')
    .requiredOption('--input <file>', 'labeled JSONL (the format of data/datasets/typification-dev.jsonl)')
    .option('--model <model>', 'embedded (offline, default: the promoted version) or claude (needs ANTHROPIC_API_KEY)', 'embedded')
    .option('--compare <version>', 'also score this embedded model version (or model file) and print both side by side')
    .option('--strict', 'exit non-zero when any line is malformed instead of skipping it', false)
    .option('--json', 'print the report as JSON', false)
    .action(async (raw: { input: string; model: string; json: boolean; strict: boolean; compare?: string }) => {
      try {
        const model = createModel(parseModelChoice(raw.model));
        const compareModel = raw.compare !== undefined ? EmbeddedModel.load({ version: raw.compare }) : undefined;
        const result = await runEval({ input: raw.input, model, strict: raw.strict, ...(compareModel ? { compareModel } : {}) });
        for (const problem of result.invalidLines) process.stderr.write(`zapflow eval: skipped ${problem}\n`);
        const warnings = [overlapWarning(result.overlap, modelName(model))];
        if (compareModel && result.compareOverlap) warnings.push(overlapWarning(result.compareOverlap, modelName(compareModel)));
        for (const warning of warnings) if (warning) process.stderr.write(`${warning}\n`);
        if (raw.json) {
          const json = { ...result.report, modelId: modelName(model), overlap: result.overlap, ...(compareModel ? { compare: { modelId: modelName(compareModel), report: result.compareReport, overlap: result.compareOverlap } } : {}) };
          process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        } else {
          process.stdout.write(`${formatReport(result.report, `eval ${raw.input} (${modelName(model)})`)}\n`);
          if (compareModel && result.compareReport) {
            process.stdout.write(`\n${formatReport(result.compareReport, `eval ${raw.input} (${modelName(compareModel)})`)}\n\n`);
            process.stdout.write(`${formatComparison(result.report, result.compareReport, [modelName(model), modelName(compareModel)])}\n`);
          }
        }
      } catch (error) {
        process.stderr.write(`zapflow eval: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
