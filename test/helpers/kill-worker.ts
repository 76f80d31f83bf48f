/**
 * Child process of the kill tests. Runs the 50-step workflow on SQLite or Postgres under an Engine, reports
 * every step execution on stdout (the parent SIGKILLs it at random moments) and records it in a side table
 * (a separate SQLite file, written synchronously before the step does its work, so it survives the kill).
 *
 * Environment:
 *   ZF_STORAGE=sqlite|postgres  ZF_DB_FILE | ZF_DB_URL + ZF_SCHEMA   ZF_EXECUTIONS_FILE
 *   ZF_GENERATION=n   each restart's clock runs n × 10 min ahead, so the leases of the killed process have
 *                     expired when this one boots (no waiting out real lease timeouts)
 *   ZF_MODE=run       recover what is left, create the runs that do not exist yet, wait for all of them
 *   ZF_MODE=recover   only recover (two of these start at once in the "two processes recovering" test)
 *   ZF_RUNS=n         run ids run-0 … run-(n-1), sessions conv-0 …
 * stdout lines: `exec <runId> <stepPath>`, `created`, `resumed <runId>`, `all-done`.
 */
import Database from 'better-sqlite3';
import { Engine, PostgresStorage, SqliteStorage, systemClock } from '../../src/engine/index.js';
import type { Clock, RunResult, Storage } from '../../src/engine/index.js';
import { buildKillWorkflow } from './kill-workflow.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`kill-worker: ${name} is not set`);
  return value;
};

const generation = Number(env('ZF_GENERATION'));
const mode = env('ZF_MODE');
const runIds = Array.from({ length: Number(env('ZF_RUNS')) }, (_, i) => `run-${i}`);

const executions = new Database(env('ZF_EXECUTIONS_FILE'), { timeout: 10_000 });
executions.pragma('journal_mode = WAL');
executions.exec('CREATE TABLE IF NOT EXISTS executions (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, step_path TEXT, generation INTEGER, pid INTEGER)');
const insertExecution = executions.prepare('INSERT INTO executions (run_id, step_path, generation, pid) VALUES (?, ?, ?, ?)');

const storage: Storage = env('ZF_STORAGE') === 'sqlite'
  ? new SqliteStorage({ dbFile: env('ZF_DB_FILE') })
  : new PostgresStorage({ dbUrl: env('ZF_DB_URL'), schema: env('ZF_SCHEMA'), poolSize: 4 });

const offsetMs = generation * 10 * 60_000;
const clock: Clock = { now: () => systemClock.now() + offsetMs, setTimer: (ms, fn, options) => systemClock.setTimer(ms, fn, options) };

const workflow = buildKillWorkflow({
  stepMs: 10,
  record: (runId, stepPath) => {
    insertExecution.run(runId, stepPath, generation, process.pid);
    process.stdout.write(`exec ${runId} ${stepPath}\n`);
  },
});
const engine = new Engine({
  storage, workflows: [workflow], clock, owner: `gen${generation}-pid${process.pid}`, recoverEveryMs: 0,
  onBackgroundError: (error) => process.stderr.write(`background error: ${String(error)}\n`),
});

const waiting: Array<Promise<RunResult>> = [];
const report = await engine.start();
for (const run of report.resumed) {
  process.stdout.write(`resumed ${run.runId}\n`);
  waiting.push(run.result);
}
if (mode === 'run') {
  for (const [i, runId] of runIds.entries()) {
    if (await storage.getRun(runId)) continue;
    waiting.push(workflow.start({ runId, sessionId: `conv-${i}`, message: { customer: i } }).result);
  }
  process.stdout.write('created\n');
}
const results = await Promise.all(waiting);
const failed = results.filter((result) => result.status !== 'completed');
if (failed.length > 0) {
  process.stderr.write(`runs did not complete: ${failed.map((r) => `${r.runId} ${r.status} ${r.error?.message ?? ''}`).join('; ')}\n`);
  process.exitCode = 1;
}
await engine.stop();
await storage.close();
executions.close();
process.stdout.write('all-done\n');
