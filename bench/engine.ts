/**
 * `npm run bench:engine [-- --peers] [-- --groups default,floor]`: the engine's in-memory overhead.
 *
 * Compiles the engine and this benchmark with tsc into bench/.cache (so what is timed is plain JS, not tsx),
 * runs every group in a fresh `node --expose-gc` process (warm-up, forced GC per sample, medians, every result
 * checked), measures start-up (importing the engine vs importing zod, fresh processes) and, with --peers,
 * runs the Mastra and LangGraph.js peer scripts of ../shared/peers-bench in the same sitting and prints
 * ratios. Writes bench/results/engine.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GROUPS } from './engine-scenarios.js';
import type { Row } from './lib.js';
import { table } from './lib.js';
import { peerComparison, printComparison, runPeers } from './engine-peers.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

if (arg('--group') !== undefined) {
  // Child mode: one group, rows as JSON on the last stdout line.
  const group = GROUPS[arg('--group')!];
  if (group === undefined) throw new Error(`unknown group ${arg('--group')}; have ${Object.keys(GROUPS).join(', ')}`);
  const rows = await group();
  process.stdout.write(`${JSON.stringify(rows)}\n`);
  process.exit(0);
}

const cacheDir = join(here, '.cache');
const buildDir = join(cacheDir, 'build');
compile();
const groups = (arg('--groups') ?? Object.keys(GROUPS).join(',')).split(',');
const rows: Row[] = [];
for (const group of groups) {
  process.stderr.write(`group ${group}…\n`);
  const child = spawnSync(process.execPath, ['--expose-gc', join(buildDir, 'bench', 'engine.js'), '--group', group], {
    cwd: root, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20, env: process.env,
  });
  const last = child.stdout.trim().split('\n').pop();
  if (child.status !== 0 || last === undefined) throw new Error(`group ${group} failed (status ${child.status}):\n${child.stderr.slice(-3000)}`);
  rows.push(...(JSON.parse(last) as Row[]));
}
const startup = measureStartup();
const peers = args.includes('--peers') ? runPeers(root) : undefined;

console.log('\n## zapflow engine, in memory\n');
console.log(table(['engine / variant', 'scenario', 'median ms', 'µs/step', 'runs/s', 'peak RSS MB'], rows.map((r) => [`${r.engine} ${r.variant}`, r.scenario, r.median_ms, r.us_per_step, r.runs_per_s, r.peak_rss_mb])));
console.log('\n## start-up (fresh process, median of 7)\n');
console.log(table(['import', 'ms since process start', 'RSS MB'], [
  ['node + zod', startup.zod.ms, startup.zod.rssMB],
  ['node + zapflow engine', startup.engine.ms, startup.engine.rssMB],
  ['ratio engine / zod', +(startup.engine.ms / startup.zod.ms).toFixed(2), +(startup.engine.rssMB / startup.zod.rssMB).toFixed(2)],
  ["node + import 'zapflow/engine' (package entry, dist/)", startup.packageEngine.ms, startup.packageEngine.rssMB],
  ['ratio zapflow/engine / zod (target ≤ 1.5)', +(startup.packageEngine.ms / startup.zod.ms).toFixed(2), +(startup.packageEngine.rssMB / startup.zod.rssMB).toFixed(2)],
]));
const comparison = peers === undefined ? undefined : peerComparison(rows, peers);
if (comparison !== undefined && peers !== undefined) printComparison(comparison, peers);
else console.log('\n(peers not run: add --peers, with ../scratch/peers-bench or ../shared/peers-bench installed (npm ci there))');

mkdirSync(join(here, 'results'), { recursive: true });
const out = join(here, 'results', 'engine.json');
writeFileSync(out, `${JSON.stringify({
  date: new Date().toISOString(),
  machine: { nproc: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.version, os: `${os.type()} ${os.release()}` },
  rows, startup, peers, comparison,
}, null, 2)}\n`);
console.log(`\nwrote ${out}`);

/** tsc (a declared devDependency) compiles the benchmark and the engine it imports; nothing else. */
function compile(): void {
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(join(cacheDir, '.gitignore'), '*\n');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '--outDir', buildDir, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2023', '--skipLibCheck', '--types', 'node', '--resolveJsonModule', '--esModuleInterop', join(here, 'engine.ts')], { cwd: root, encoding: 'utf8' });
  if (!existsSync(join(buildDir, 'bench', 'engine.js'))) throw new Error(`tsc failed:\n${result.stdout}\n${result.stderr}`);
  writeFileSync(join(buildDir, 'package.json'), '{ "type": "module" }\n');
}

interface Startup {
  ms: number;
  rssMB: number;
}

/** Time from process start until the import resolved, and RSS then: the peers' `startup_ms` method. */
function measureStartup(): { zod: Startup; engine: Startup; packageEngine: Startup } {
  const engineUrl = pathToFileURL(join(buildDir, 'src', 'engine', 'index.js')).href;
  const probe = (specifier: string): Startup => {
    const samples: Startup[] = [];
    for (let i = 0; i < 7; i++) {
      const code = `await import(${JSON.stringify(specifier)}); process.stdout.write(JSON.stringify({ ms: performance.now(), rssMB: process.memoryUsage().rss / 1048576 }));`;
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
      if (child.status !== 0) throw new Error(`start-up probe for ${specifier} failed: ${child.stderr}`);
      samples.push(JSON.parse(child.stdout) as Startup);
    }
    const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1]!;
    return { ms: +median(samples.map((s) => s.ms)).toFixed(1), rssMB: +median(samples.map((s) => s.rssMB)).toFixed(1) };
  };
  // The entry a user imports: the package's `zapflow/engine` export (self-reference), from the build in dist/.
  if (!existsSync(join(root, 'dist', 'src', 'engine', 'index.js'))) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}\n${build.stderr}`);
  }
  return { zod: probe('zod'), engine: probe(engineUrl), packageEngine: probe('zapflow/engine') };
}
