/**
 * `zapflow classify --input conversations.jsonl [--model embedded|claude] [--output out.jsonl] [--strict]`:
 * one output line per input line — the taxonomy path, its confidence and the escalation analysis — made by
 * the same calls the workflows use. A malformed line gives `{"id"?, "error"}` and the run goes on; the exit
 * code is 0 unless --strict and some line failed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { classifyLine, createModel, isModelChoice, jsonlLines, progressBar, type ModelChoice, type OutputRecord } from '../../agents/eval/index.js';
import type { Model } from '../../agents/model.js';
import { defaultTaxonomy, type Taxonomy } from '../../taxonomy/index.js';

export interface ClassifyRunOptions {
  input: string;
  output?: string;
  strict: boolean;
  model: Model;
  taxonomy?: Taxonomy;
  /** Where JSONL goes without --output. @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** Progress bar target (drawn only on a TTY). @default process.stderr */
  stderr?: NodeJS.WriteStream;
}

export interface ClassifyRunResult {
  records: OutputRecord[];
  errors: number;
  /** 0, or 1 when --strict and some line failed. */
  exitCode: number;
}

export async function runClassify(options: ClassifyRunOptions): Promise<ClassifyRunResult> {
  const taxonomy = options.taxonomy ?? defaultTaxonomy();
  const lines = jsonlLines(readFileSync(options.input, 'utf8'));
  const progress = progressBar(lines.length, options.stderr ?? process.stderr);
  const records: OutputRecord[] = [];
  for (const line of lines) {
    // One at a time: output order = input order, and Claude's rate limits are not hammered.
    records.push(await classifyLine(options.model, taxonomy, line));
    progress.tick(records.length);
  }
  progress.finish();
  const text = records.map((r) => JSON.stringify(r)).join('\n') + (records.length > 0 ? '\n' : '');
  if (options.output) writeFileSync(options.output, text);
  else (options.stdout ?? process.stdout).write(text);
  const errors = records.filter((r) => 'error' in r).length;
  return { records, errors, exitCode: options.strict && errors > 0 ? 1 : 0 };
}

export function parseModelChoice(value: string): ModelChoice {
  if (!isModelChoice(value)) throw new Error(`--model must be "embedded" or "claude", got "${value}"`);
  return value;
}

export function register(program: Command): void {
  program
    .command('classify')
    .description('Classify conversations from a JSONL file (taxonomy path + escalation), one JSON line out per line in')
    .requiredOption('--input <file>', 'JSONL: {"id", "messages": [{"role": "customer"|"bot", "text"}]} per line')
    .option('--model <model>', 'embedded (offline, default) or claude (needs ANTHROPIC_API_KEY)', 'embedded')
    .option('--output <file>', 'write the JSONL here instead of stdout')
    .option('--strict', 'exit with code 1 when any line could not be classified', false)
    .action(async (raw: { input: string; model: string; output?: string; strict: boolean }) => {
      try {
        const model = createModel(parseModelChoice(raw.model));
        const result = await runClassify({ input: raw.input, output: raw.output, strict: raw.strict, model });
        if (result.errors > 0) process.stderr.write(`zapflow classify: ${result.errors} of ${result.records.length} lines could not be classified\n`);
        process.exitCode = result.exitCode;
      } catch (error) {
        process.stderr.write(`zapflow classify: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
