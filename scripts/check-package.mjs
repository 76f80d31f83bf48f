// Checks the package a user installs, as a user would: `npm pack`, install the tarball into a scratch project,
// then import both entry points, type-check against the shipped .d.ts, and run the CLI. Also checks what the
// tarball holds (no tests, benches or source maps) and that `zapflow/engine` loads the engine alone.
// Run by `.ci/run`; `npm run check:package` by hand. Exits non-zero with the reason on any failure.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const scratch = mkdtempSync(join(tmpdir(), 'zapflow-package-'));
const failures = [];
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

try {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', scratch], root));
  const files = packed.files.map((f) => f.path);
  const unwanted = files.filter((f) => /^(test|bench|scripts|examples)\//.test(f) || /\.map$/.test(f) || /\.test\./.test(f));
  if (unwanted.length) failures.push(`the tarball ships files a user does not need: ${unwanted.slice(0, 5).join(', ')}${unwanted.length > 5 ? ', …' : ''}`);
  for (const needed of ['dist/src/index.d.ts', 'dist/src/engine/index.d.ts', 'dist/src/engine/index.js', 'bin/zapflow.mjs', 'dist/src/taxonomy/taxonomy.json']) {
    if (!files.includes(needed)) failures.push(`the tarball lacks ${needed}`);
  }
  console.log(`check-package: ${packed.filename}, ${files.length} files, ${(packed.size / 1024).toFixed(0)} KiB packed`);

  const project = join(scratch, 'app');
  run('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(scratch, packed.filename)], project);

  const rootImport = `import { Workflow, Step, Steps, Parallel, Condition, Loop, Router, MemoryStorage } from 'zapflow';
const wf = new Workflow({ name: 'scratch', storage: new MemoryStorage(), steps: [new Step({ name: 'hello', executor: (input) => 'hi ' + input.message })] });
const result = await wf.run({ message: 'ana' });
if (result.content !== 'hi ana') throw new Error('unexpected result ' + JSON.stringify(result.content));
for (const c of [Steps, Parallel, Condition, Loop, Router]) if (typeof c !== 'function') throw new Error('missing export');
console.log('root import ok');`;
  writeFileSync(join(project, 'root.mjs'), rootImport);
  const rootOut = run(process.execPath, ['root.mjs'], project);
  if (!rootOut.includes('root import ok')) failures.push(`import from 'zapflow' failed: ${rootOut}`);

  // Which modules does `zapflow/engine` load? Synchronous module hooks see every resolution, ESM and CJS alike.
  const engineImport = `import { registerHooks } from 'node:module';
const seen = [];
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r; } });
const engine = await import('zapflow/engine');
for (const name of ['Workflow', 'Step', 'Steps', 'Parallel', 'Condition', 'Loop', 'Router', 'MemoryStorage']) if (typeof engine[name] !== 'function') throw new Error('zapflow/engine lacks ' + name);
const heavy = seen.filter((u) => /node_modules\\/(express|pg|pg-pool|better-sqlite3|@modelcontextprotocol|pino|@anthropic-ai|prom-client|pg-boss)\\//.test(u) || /\\/(agents|mcp|http|webhooks)\\//.test(u));
console.log(JSON.stringify({ heavy }));`;
  writeFileSync(join(project, 'engine.mjs'), engineImport);
  const { heavy } = JSON.parse(run(process.execPath, ['engine.mjs'], project).trim().split('\n').pop());
  if (heavy.length) failures.push(`zapflow/engine loads more than the engine: ${heavy.slice(0, 5).join(', ')}`);

  // The shipped types: a TypeScript user of both entries type-checks.
  writeFileSync(join(project, 'types.ts'), `import { Workflow, Step } from 'zapflow';
import { Router, type StepInput } from 'zapflow/engine';
const step = new Step({ name: 'n', executor: (input: StepInput) => String(input.message) });
export const wf: Workflow = new Workflow({ name: 'typed', steps: [step] });
export const router: typeof Router = Router;
`);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['types.ts'] }));
  try {
    run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  } catch (error) {
    failures.push(`the shipped types do not type-check a user's file: ${error.stdout || error.message}`);
  }

  const help = run(join(project, 'node_modules', '.bin', 'zapflow'), ['--help'], project);
  if (!help.includes('serve')) failures.push(`the installed CLI's --help does not list its commands: ${help.slice(0, 200)}`);
} catch (error) {
  failures.push(`${error.message}\n${error.stderr ?? ''}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

if (failures.length) {
  console.error(`check-package: FAILED\n- ${failures.join('\n- ')}`);
  process.exit(1);
}
console.log('check-package: ok — tarball installs; zapflow and zapflow/engine import; types check; the CLI runs');
