/**
 * `zapflow model list` and `zapflow model promote <version>`: which embedded model versions exist, and the
 * admin's decision to serve one: a running service answers with it from its next turn (every process that
 * shares the model folder; with Claude, whose helper reads it at start, after a restart).
 */
import type { Command } from 'commander';
import { activeModel, defaultModelDir, listModelVersions, promoteModelVersion } from '../../agents/embedded/model-versions.js';
import { defaultTaxonomy } from '../../taxonomy/index.js';

export function register(program: Command): void {
  const model = program.command('model').description('Embedded model versions: list them, promote one');
  model
    .command('list')
    .description('list trained versions; * marks the promoted one')
    .option('--dir <dir>', 'model folder (default: ZAPFLOW_MODEL_DIR or data/models)')
    .action((raw: { dir?: string }) => {
      const dir = raw.dir ?? defaultModelDir();
      const active = activeModel(dir);
      const versions = listModelVersions(dir);
      if (versions.length === 0) process.stdout.write(`no trained versions in ${dir} (the bundled model is used); run zapflow train\n`);
      for (const version of versions) process.stdout.write(`${version === active?.version ? '*' : ' '} ${version}\n`);
      if (active) process.stdout.write(`promoted ${active.version} at ${active.promotedAt} by ${active.promotedBy}\n`);
    });
  model
    .command('promote <version>')
    .description('serve this version from the next turn of a running service (and in zapflow classify/eval now)')
    .option('--dir <dir>', 'model folder (default: ZAPFLOW_MODEL_DIR or data/models)')
    .action((version: string, raw: { dir?: string }) => {
      try {
        const active = promoteModelVersion(version, defaultTaxonomy(), { ...(raw.dir !== undefined ? { dir: raw.dir } : {}), by: 'cli' });
        process.stdout.write(`promoted ${active.version}; a running service uses it from its next turn (with ANTHROPIC_API_KEY set: after a restart)\n`);
      } catch (error) {
        process.stderr.write(`zapflow model promote: ${(error as Error).message}\n`);
        process.exitCode = 2;
      }
    });
}
