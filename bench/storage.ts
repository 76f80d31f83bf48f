/**
 * `npm run bench:storage` — what durability costs: seq100 (100 sequential steps, durability 'sync') per
 * storage, statements and round trips per step, 3-step runs/s (awaited one after another, and 50
 * conversations at once), beside the in-memory figure and the peers measured in the same sitting.
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run bench:storage   (Postgres rows need it)
 *   BENCH_QUICK=1 … (fewer repetitions)   BENCH_NO_PEERS=1 … (zapflow only)
 *   BENCH_STORAGES=postgres BENCH_PEERS=postgres …   (only these rows: memory, sqlite, postgres; peers by name)
 *
 * Postgres is measured three ways: the defaults (group commit: concurrent runs' commits share statements; every
 * step written before the next starts), `writeBehind: true` (a run's steps that settle without I/O written with
 * its end), and `groupCommit: false` (every commit alone), so the same sitting shows what each buys. SQLite with
 * its default write-behind and without it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MemoryStorage, PostgresStorage, SqliteStorage, Step, Workflow } from '../src/engine/index.js';
import type { Storage } from '../src/engine/index.js';
import { findPeersBench, measurePeers } from './storage-peers.js';
import type { PeerFigure } from './storage-peers.js';

const QUICK = process.env.BENCH_QUICK === '1';
const DATABASE_URL = process.env.DATABASE_URL;
const STORAGES = (process.env.BENCH_STORAGES ?? 'memory,sqlite,postgres').split(',');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

// --- counting what reaches the database ---

const counter = { statements: 0, roundTrips: 0, transactions: 0 };
const resetCounter = (): void => void Object.assign(counter, { statements: 0, roundTrips: 0, transactions: 0 });

/** better-sqlite3: every executed prepared statement, and every transaction (BEGIN … COMMIT). */
function countSqlite(): void {
  const probe = new Database(':memory:');
  type Exec = (...args: unknown[]) => unknown;
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<'run' | 'get' | 'all', Exec>;
  for (const method of ['run', 'get', 'all'] as const) {
    const original = statementProto[method];
    statementProto[method] = function (this: unknown, ...args: unknown[]) {
      counter.statements++;
      return original.apply(this, args);
    };
  }
  const dbProto = Database.prototype as unknown as { transaction: (fn: Exec) => unknown };
  const transaction = dbProto.transaction;
  dbProto.transaction = function (this: unknown, fn: Exec) {
    return transaction.call(this, function (this: unknown, ...args: unknown[]) {
      counter.transactions++;
      return fn.apply(this, args);
    });
  };
  probe.close();
}

/** node-postgres: every pool.query is one statement sent in one round trip (Parse/Bind/Execute/Sync in one flight). */
function countingPool(connectionString: string): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: 20 });
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
    counter.statements++;
    counter.roundTrips++;
    return query(...args);
  };
  return pool;
}

// --- workloads (the peers' trivial step: n → n + 1) ---

function sequence(name: string, count: number, storage: Storage, writeState: boolean): Workflow {
  const steps = Array.from({ length: count }, (_, i) => new Step({
    name: `s${i}`,
    executor: (input) => {
      const next = ((input.previousStepContent as number | undefined) ?? 0) + 1;
      if (writeState) input.workflowSessionState.n = next;
      return next;
    },
  }));
  return new Workflow({ name, steps, storage, durability: 'sync' });
}

async function medianMs(fn: () => Promise<void>, warmup: number, reps: number): Promise<number> {
  for (let i = 0; i < (QUICK ? 1 : warmup); i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < (QUICK ? 3 : reps); i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] ?? Number.NaN;
}

async function expectContent(workflow: Workflow, expected: number): Promise<void> {
  const result = await workflow.run({ message: 'bench' });
  if (result.status !== 'completed' || result.content !== expected) {
    throw new Error(`${workflow.name}: expected content ${expected}, got ${String(result.content)} (${result.status}: ${result.error?.message ?? ''})`);
  }
}

interface Row {
  storage: string;
  usPerStep: number;
  usPerStepWithState: number;
  statementsPerStep: number;
  roundTripsPerStep: number;
  transactionsPerStep: number;
  perRunOverhead: string;
  runsPerSecond: number;
  runsPerSecond50: number;
}

async function measureStorage(label: string, storage: Storage): Promise<Row> {
  log(`zapflow: ${label} …`);
  await storage.init();
  const seq = sequence('seq100', 100, storage, false);
  const seqState = sequence('seq100_state', 100, storage, true);
  const seq3 = sequence('seq3', 3, storage, false);
  const usPerStep = (await medianMs(() => expectContent(seq, 100), 3, 10)) * 10; // ms per 100 steps → µs/step
  const usPerStepWithState = (await medianMs(() => expectContent(seqState, 100), 3, 10)) * 10;

  // What one run sends: a seq100 run minus a seq3 run isolates the 97 extra steps from the per-run writes.
  resetCounter();
  await expectContent(seq, 100);
  const run100 = { ...counter };
  resetCounter();
  await expectContent(seq3, 3);
  const run3 = { ...counter };
  // better-sqlite3 runs BEGIN and COMMIT as statements too: count them as the transaction, not as SQL work.
  for (const run of [run100, run3]) if (storage.kind === 'sqlite') run.statements -= 2 * run.transactions;
  const perStep = (key: keyof typeof counter) => (run100[key] - run3[key]) / 97;
  const perRun = (key: keyof typeof counter) => Math.round(run3[key] - 3 * perStep(key));

  const sequentialRuns = QUICK ? 50 : 300;
  const sequentialMs = await medianMs(async () => {
    for (let i = 0; i < sequentialRuns; i++) await expectContent(seq3, 3);
  }, 1, 3);
  const concurrentRuns = QUICK ? 200 : 1000;
  const concurrentMs = await medianMs(async () => {
    let next = 0;
    const worker = async () => {
      while (next < concurrentRuns) {
        next++;
        await expectContent(seq3, 3);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
  }, 1, 3);
  await storage.close();
  return {
    storage: label,
    usPerStep,
    usPerStepWithState,
    statementsPerStep: perStep('statements'),
    roundTripsPerStep: perStep('roundTrips'),
    transactionsPerStep: perStep('transactions'),
    perRunOverhead: `${perRun('statements')} stmts, ${perRun('roundTrips')} RT, ${perRun('transactions')} tx`,
    runsPerSecond: (sequentialRuns * 1000) / sequentialMs,
    runsPerSecond50: (concurrentRuns * 1000) / concurrentMs,
  };
}

// --- the sitting ---

const fmt = (n: number | undefined, digits = 3): string =>
  n === undefined || Number.isNaN(n) ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(digits);

async function main(): Promise<void> {
  countSqlite();
  const dir = mkdtempSync(join(tmpdir(), 'zapflow-bench-'));
  const rows: Row[] = [];
  let schemaToDrop: string | undefined;
  try {
    if (STORAGES.includes('memory')) rows.push(await measureStorage('memory', new MemoryStorage()));
    if (STORAGES.includes('sqlite')) {
      rows.push(await measureStorage("SQLite (WAL, synchronous 'normal')", new SqliteStorage({ dbFile: join(dir, 'normal.db') })));
      rows.push(await measureStorage("SQLite (WAL, 'normal', writeBehind: false)", new SqliteStorage({ dbFile: join(dir, 'normal-sync.db'), writeBehind: false })));
      rows.push(await measureStorage("SQLite (WAL, synchronous 'full')", new SqliteStorage({ dbFile: join(dir, 'full.db'), synchronous: 'full' })));
    }
    if (DATABASE_URL && STORAGES.includes('postgres')) {
      const pool = countingPool(DATABASE_URL);
      const variants: Array<[string, Partial<ConstructorParameters<typeof PostgresStorage>[0]>]> = [
        ['Postgres (loopback, synchronous_commit on)', {}],
        ['Postgres, steps without I/O written with the run\'s end (writeBehind: true)', { writeBehind: true }],
        ['Postgres, every commit alone (groupCommit: false)', { groupCommit: false }],
      ];
      for (const [label, options] of variants) {
        schemaToDrop = `zapflow_bench_${randomBytes(3).toString('hex')}`;
        rows.push(await measureStorage(label, new PostgresStorage({ pool, schema: schemaToDrop, ...options })));
        await pool.query(`DROP SCHEMA "${schemaToDrop}" CASCADE`);
        schemaToDrop = undefined;
      }
      await pool.end();
    } else if (STORAGES.includes('postgres')) {
      log('zapflow: Postgres skipped (set DATABASE_URL)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (schemaToDrop && DATABASE_URL) {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schemaToDrop}" CASCADE`);
      await client.end();
    }
  }

  const peersDir = process.env.BENCH_NO_PEERS === '1' ? undefined : findPeersBench();
  const peers: PeerFigure[] = peersDir ? await measurePeers(peersDir, DATABASE_URL, log) : [];
  print(rows, peers);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/storage.json', `${JSON.stringify({ date: new Date().toISOString(), node: process.version, rows, peers }, null, 2)}\n`);
}

function print(rows: Row[], peers: PeerFigure[]): void {
  const lines = [
    '| storage | seq100 µs/step | seq100 + state write µs/step | statements / step | round trips / step | transactions / step | per run (start + finish) | 3-step runs/s sequential | 3-step runs/s, 50 at once |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|',
    ...rows.map((r) => `| zapflow ${r.storage} | ${fmt(r.usPerStep)} | ${fmt(r.usPerStepWithState)} | ${fmt(r.statementsPerStep, 2)} | ${fmt(r.roundTripsPerStep, 2)} | ${fmt(r.transactionsPerStep, 2)} | ${r.perRunOverhead} | ${fmt(r.runsPerSecond)} | ${fmt(r.runsPerSecond50)} |`),
    ...peers.map((p) => `| ${p.peer} | ${fmt(p.usPerStep)} |  |  |  |  | ${p.note ?? ''} | ${fmt(p.runsPerSecond)} |  |`),
  ];
  const sqlite = rows.find((r) => r.storage.includes("'normal'"));
  const sqliteFull = rows.find((r) => r.storage.includes("'full'"));
  const postgres = rows.find((r) => r.storage.startsWith('Postgres'));
  const ratio = (peer: string, ours: Row | undefined, target: number) => {
    const figure = peers.find((p) => p.peer === peer)?.usPerStep;
    if (!figure || !ours) return `- ${peer}: not measured in this sitting`;
    const times = figure / ours.usPerStep;
    return `- ${peer} ${fmt(figure)} µs/step ÷ zapflow ${ours.storage} ${fmt(ours.usPerStep)} µs/step = **${times.toFixed(1)}×** (target ≥ ${target}×: ${times >= target ? 'met' : 'NOT met'})`;
  };
  lines.push('', 'Same-sitting ratios (peer µs/step ÷ zapflow µs/step):',
    ratio('Mastra + LibSQLStore', sqlite, 10), ratio('Mastra + LibSQLStore', sqliteFull, 10),
    ratio('Mastra + PostgresStore', postgres, 5), ratio('LangGraph.js + SqliteSaver', sqlite, 1), ratio('LangGraph.js + PostgresSaver', postgres, 1));
  // Issue 21's throughput target: zapflow's 3-step runs/s with 50 conversations at once against Mastra +
  // PostgresStore's 3-step runs/s (its own runs figure, one after another), same sitting.
  const mastraRuns = peers.find((p) => p.peer === 'Mastra + PostgresStore')?.runsPerSecond;
  for (const row of rows.filter((r) => r.storage.startsWith('Postgres'))) {
    if (!mastraRuns) continue;
    const times = row.runsPerSecond50 / mastraRuns;
    lines.push(`- 3-step runs/s, zapflow ${row.storage} 50 at once ${fmt(row.runsPerSecond50)} ÷ Mastra + PostgresStore ${fmt(mastraRuns)} = **${times.toFixed(1)}×** (target ≥ 10×: ${times >= 10 ? 'met' : 'NOT met'})`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
