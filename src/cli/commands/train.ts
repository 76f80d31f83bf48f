/**
 * `zapflow train [--with-corrections corrections.jsonl] [--dir <model dir>]`: retrains the embedded model from
 * the shipped labeled set plus agents' corrections (the JSONL `zapflow corrections export` writes, same shape
 * as data/datasets/typification-dev.jsonl) and writes a new model version. It is not used until promoted.
 */
import type { Command } from 'commander';
import { defaultTrainingSetFile } from '../../agents/embedded/store.js';
import { defaultModelDir, trainModelVersion, type ModelVersionInfo, type TrainingSource } from '../../agents/embedded/model-versions.js';
import { defaultTaxonomy, type Taxonomy } from '../../taxonomy/index.js';

export function runTrain(options: { corrections?: string; dir?: string; taxonomy?: Taxonomy; trainingSet?: string }): ModelVersionInfo {
  const sources: TrainingSource[] = [{ file: options.trainingSet ?? defaultTrainingSetFile(), kind: 'shipped' }];
  if (options.corrections !== undefined) sources.push({ file: options.corrections, kind: 'corrections' });
  return trainModelVersion({ taxonomy: options.taxonomy ?? defaultTaxonomy(), sources, dir: options.dir ?? defaultModelDir() });
}

export function register(program: Command): void {
  program
    .command('train')
    .description('Train a new embedded model version from the shipped labeled set (+ corrections); promote it to use it')
    .option('--with-corrections <file>', 'labeled JSONL of agents\' corrections (zapflow corrections export)')
    .option('--dir <dir>', 'model folder (default: ZAPFLOW_MODEL_DIR or data/models)')
    .action((raw: { withCorrections?: string; dir?: string }) => {
      try {
        const info = runTrain({ ...(raw.withCorrections !== undefined ? { corrections: raw.withCorrections } : {}), ...(raw.dir !== undefined ? { dir: raw.dir } : {}) });
        const from = info.sources.map((s) => `${s.name} (${s.kind}, ${s.conversations})`).join(' + ');
        process.stdout.write(
          `trained version ${info.version} on ${info.conversations} conversations from ${from}` +
            `${info.correctedShipped > 0 ? `; ${info.correctedShipped} shipped label(s) replaced by corrections` : ''}\n` +
            `  file: ${info.file}\n` +
            `  compare: zapflow eval --input <held-out labeled.jsonl> --compare ${info.version}\n` +
            `  use it:  zapflow model promote ${info.version}\n`,
        );
      } catch (error) {
        process.stderr.write(`zapflow train: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
