/**
 * `DATABASE_URL=… npx tsx bench/postgres-batches.ts` — where the CPU of Postgres group commit goes, as the
 * history grows: rounds of 3-step runs, 50 at once (bench:storage's workload), each printing runs/s, this
 * process's CPU and the Postgres backends' CPU per run (`/proc`, the server on this machine) and statements per
 * run; then how each table was read (`pg_stat_user_tables`: sequential scans and the tuples they read). It found
 * batch statements that read every stored run per batch (issue 21; bench/README.md).
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npx tsx bench/postgres-batches.ts [--rounds 3 --runs 2000]
 *
 * Works in a schema of its own, dropped at the end. Loopback only; bounded by --rounds × --runs.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PostgresStorage, Step, Workflow } from '../src/engine/index.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, runs: { type: 'string', default: '2000' }, 'write-behind': { type: 'boolean', default: false } },
});
const DATABASE_URL = process.env.DATABASE_URL;
if (!DATABASE_URL) {
  console.error('set DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)');
  process.exit(2);
}
const ROUNDS = Number(args.rounds);
const RUNS = Number(args.runs);
const AT_ONCE = 50;

let statements = 0;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 20 });
const query = pool.query.bind(pool) as (...a: unknown[]) => unknown;
(pool as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
  statements++;
  return query(...a);
};
const schema = `zapflow_bench_batches_${process.pid}`;
const storage = new PostgresStorage({ pool, schema, writeBehind: args['write-behind'] });

/** CPU ms of every process named postgres* on this machine (the server's backends, WAL writer, checkpointer). */
function postgresCpuMs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres')) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended between the listing and the read
    }
  }
  return ticks * 10; // USER_HZ = 100
}

async function runsAtOnce(workflow: Workflow, count: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: AT_ONCE }, async () => {
    while (next < count) {
      next++;
      const result = await workflow.run({ message: 'bench' });
      if (result.content !== 3) throw new Error(`expected 3, got ${String(result.content)} (${result.status})`);
    }
  }));
}

try {
  await storage.init();
  const steps = Array.from({ length: 3 }, (_, i) => new Step({ name: `s${i}`, executor: (input) => ((input.previousStepContent as number | undefined) ?? 0) + 1 }));
  const workflow = new Workflow({ name: 'seq3', steps, storage, durability: 'sync' });
  await runsAtOnce(workflow, 500); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    statements = 0;
    const cpu = process.cpuUsage();
    const postgres = postgresCpuMs();
    const start = performance.now();
    await runsAtOnce(workflow, RUNS);
    const ms = performance.now() - start;
    const own = process.cpuUsage(cpu);
    const perRun = (x: number) => ((x / RUNS) * 1000).toFixed(0);
    console.log(`round ${round}/${ROUNDS}: ${((RUNS * 1000) / ms).toFixed(0)} runs/s, this process ${perRun((own.user + own.system) / 1000)} µs CPU a run, ` +
      `Postgres ${perRun(postgresCpuMs() - postgres)} µs CPU a run, ${(statements / RUNS).toFixed(2)} statements a run`);
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // table statistics reach pg_stat after ≤ 1 s
  const { rows } = await pool.query<{ relname: string; seq_scan: string; seq_tup_read: string; idx_scan: string | null }>(
    'SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables WHERE schemaname = $1 AND (seq_tup_read > 0 OR idx_scan > 0) ORDER BY relname', [schema]);
  console.log(`\ntables read (${ROUNDS * RUNS + 500} runs stored at the end):`);
  for (const row of rows) console.log(`  ${row.relname}: ${row.seq_scan} sequential scans reading ${row.seq_tup_read} tuples, ${row.idx_scan ?? 0} index scans`);
} finally {
  await storage.close();
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
