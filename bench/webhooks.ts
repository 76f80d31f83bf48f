/**
 * `npm run bench:webhooks` — webhook intake under load: ack latency of the real `zapflow serve` process while
 * its workflows process the backlog, against a bare receiver (the floor: express + raw-body HMAC + one inbox
 * insert) measured in the same run at the same rate; then the drain, and exactly-once processing of every
 * acknowledged message. A variant SIGKILLs the service mid-load and starts it again while the load goes on.
 *
 *   npm run bench:webhooks                       # 1,000/s × 30 s, 2,000/s × 10 s, the kill variant (SQLite;
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test npm run bench:webhooks   # … and Postgres)
 *   npm run bench:webhooks -- --quick            # a few seconds per scenario (smoke run)
 *   npm run bench:webhooks -- --repeat 3 --store postgres --scenarios 1000x30
 *   npm run bench:webhooks -- --cpu-prof /tmp/prof   # V8 CPU profile of each service process
 *   npm run bench:webhooks -- --scenarios 1000x30 --rate 500   # another rate (a slower machine)
 *   npm run bench:webhooks -- --warmup 2          # seconds of unmeasured load first, for every receiver (default 5)
 *
 * Three processes per measurement: this harness (drives, polls the database, verifies), the receiver, and the
 * load generator (bench/webhook-load.ts: open loop, latency from each message's due time). Loopback only; the
 * service runs with the embedded model and the dry-run WhatsApp sender. Writes bench/results/webhooks.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './lib.js';
import { freePort, Receiver, repoRoot, runLoadProcess, type ReceiverSpec, type StoreKind } from './webhook-harness.js';
import type { LoadConfig, LoadResult } from './webhook-load.js';
import type { LoopProbeReport } from './webhook-loop-probe.js';
import { median } from './webhook-stats.js';
import { postgresBenchDatabase, readSentLog, sqliteBenchDatabase, verify, type BenchDatabase, type Verification } from './webhook-verify.js';

interface Scenario {
  id: string;
  label: string;
  rate: number;
  durationMs: number;
  /** Measure the floor at the same rate first. */
  floor: boolean;
  /** SIGKILL the service this long after the load starts, and start it again at once. */
  killAtMs?: number;
}

const FULL: Scenario[] = [
  { id: '1000x30', label: '1,000/s × 30 s', rate: 1000, durationMs: 30_000, floor: true },
  { id: '2000x10', label: '2,000/s × 10 s', rate: 2000, durationMs: 10_000, floor: true },
  { id: 'kill', label: '1,000/s × 20 s, SIGKILL at 8 s', rate: 1000, durationMs: 20_000, floor: false, killAtMs: 8000 },
];
const QUICK: Scenario[] = [
  { id: '1000x30', label: '500/s × 3 s (quick)', rate: 500, durationMs: 3000, floor: true },
  { id: 'kill', label: '500/s × 4 s, SIGKILL at 1.5 s (quick)', rate: 500, durationMs: 4000, floor: false, killAtMs: 1500 },
];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    store: { type: 'string' },
    scenarios: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    customers: { type: 'string', default: '2000' },
    'log-level': { type: 'string', default: 'info' },
    'cpu-prof': { type: 'string' },
    'drain-timeout': { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    /**
     * Seconds of load at the scenario's rate before the measured window, for every receiver (default 5; 1 with
     * --quick): JIT warm-up. With 2 s, zapflow's cold start at 2,000/s (a queue of ~3 s while its larger ack
     * path compiles) still drains into the first measured second; bench/README.md shows both.
     */
    warmup: { type: 'string' },
    /**
     * Messages a second for every scenario instead of its own, e.g. `--rate 500` on a machine where the bare
     * receiver itself saturates at 1,000/s (its p99 then measures the queue, and no ratio can be read).
     */
    rate: { type: 'string' },
    /** Extra environment for the service, e.g. `--service-env MAX_CONCURRENT_CONVERSATIONS=4` (repeatable). */
    'service-env': { type: 'string', multiple: true, default: [] },
  },
});

const DATABASE_URL = process.env.DATABASE_URL;
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const stores: StoreKind[] = (args.store ?? (DATABASE_URL ? 'sqlite,postgres' : 'sqlite')).split(',').map((s) => s.trim() as StoreKind);
if (stores.some((s) => s !== 'sqlite' && s !== 'postgres')) throw new Error('--store takes sqlite, postgres or both (comma-separated)');
if (stores.includes('postgres') && !DATABASE_URL) throw new Error('Postgres runs need DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)');
const wanted = args.scenarios?.split(',').map((s) => s.trim());
const rate = args.rate === undefined ? undefined : Math.max(1, Number(args.rate));
const scenarios = (args.quick ? QUICK : FULL).filter((s) => !wanted || wanted.includes(s.id))
  .map((s) => rate === undefined ? s : { ...s, rate, label: s.label.replace(/^[\d,]+\/s/, `${rate.toLocaleString('en')}/s`) });
const repeat = Math.max(1, Number(args.repeat));
const customers = Math.max(1, Number(args.customers));
const drainTimeoutMs = Number(args['drain-timeout']) * 1000;
const warmupMs = args.warmup === undefined ? undefined : Math.max(0, Number(args.warmup)) * 1000;
const serviceEnv = Object.fromEntries(args['service-env'].map((pair) => {
  const at = pair.indexOf('=');
  if (at <= 0) throw new Error(`--service-env takes NAME=value, got ${JSON.stringify(pair)}`);
  return [pair.slice(0, at), pair.slice(at + 1)];
}));

interface Measurement {
  scenario: string;
  store: StoreKind;
  receiver: 'floor' | 'zapflow';
  rep: number;
  rate: number;
  durationMs: number;
  load: Omit<LoadResult, 'ackedIds' | 'gaveUpIds'> & { gaveUp: number };
  /** Last ack → nothing pending in the inbox, the outbox or the runs (zapflow only). */
  drainMs?: number;
  /** Load start → drained: messages processed per second over the whole run. */
  processedPerSecond?: number;
  verification?: Verification;
  /** Floor: acked messages missing from its inbox. */
  floorLost?: number;
  restarts?: number;
  /** The receiver's event loop during the measured load (the last process, when the service was restarted). */
  loop?: LoopProbeReport;
}

function loadConfig(url: string, scenario: Scenario, seed: number): LoadConfig {
  return {
    baseUrl: url,
    plan: {
      rate: scenario.rate, durationMs: scenario.durationMs, customers, evolutionShare: 0.2, seed,
      warmupMs: warmupMs ?? (args.quick ? 1000 : 5000), warmupRate: scenario.rate,
    },
    giveUpAfterMs: 120_000,
    requestTimeoutMs: 15_000,
    maxSockets: 256,
  };
}

function benchDatabase(spec: ReceiverSpec, file: string): BenchDatabase & { drop?: () => Promise<void> } {
  return spec.store === 'postgres' ? postgresBenchDatabase(DATABASE_URL!, spec.prefix) : sqliteBenchDatabase(join(spec.dataDir, file), spec.prefix);
}

async function specFor(kind: 'floor' | 'zapflow', store: StoreKind): Promise<ReceiverSpec> {
  return {
    kind,
    store,
    port: await freePort(),
    dataDir: mkdtempSync(join(tmpdir(), `zapflow-bench-${kind}-`)),
    prefix: store === 'postgres' ? `bw${kind[0]}_${randomBytes(4).toString('hex')}_` : 'zapflow_',
    ...(DATABASE_URL ? { databaseUrl: DATABASE_URL } : {}),
    logLevel: args['log-level'],
    ...(kind === 'zapflow' && args['cpu-prof'] ? { cpuProfDir: args['cpu-prof'] } : {}),
    ...(kind === 'zapflow' ? { env: serviceEnv } : {}),
  };
}

async function cleanup(spec: ReceiverSpec, db: BenchDatabase & { drop?: () => Promise<void> }): Promise<void> {
  if (!args.keep) await db.drop?.();
  await db.close();
  if (!args.keep) rmSync(spec.dataDir, { recursive: true, force: true });
  else log(`  kept ${spec.dataDir}${spec.store === 'postgres' ? ` and tables ${spec.prefix}*` : ''}`);
}

const strip = (result: LoadResult): Measurement['load'] => {
  const { ackedIds: _acked, gaveUpIds, ...rest } = result;
  return { ...rest, gaveUp: gaveUpIds.length };
};

async function measureFloor(scenario: Scenario, store: StoreKind, rep: number): Promise<Measurement> {
  const spec = await specFor('floor', store);
  const receiver = new Receiver(spec);
  const db = benchDatabase(spec, 'floor.db');
  try {
    await receiver.start();
    let measuring: NodeJS.Timeout | undefined;
    const result = await runLoadProcess(loadConfig(receiver.url, scenario, 1000 + rep), (measuredFrom) => {
      measuring = setTimeout(() => receiver.markLoadStart(), Math.max(0, measuredFrom - Date.now()));
    });
    clearTimeout(measuring);
    await receiver.stop();
    const stored = new Set(await db.inboxMessageIds());
    const loop = receiver.loopReport();
    return {
      scenario: scenario.id, store, receiver: 'floor', rep, rate: scenario.rate, durationMs: scenario.durationMs,
      load: strip(result), floorLost: result.ackedIds.filter((id) => !stored.has(id)).length, ...(loop ? { loop } : {}),
    };
  } finally {
    await receiver.stop();
    await cleanup(spec, db);
  }
}

async function waitForDrain(db: BenchDatabase, service: Receiver): Promise<number> {
  const start = Date.now();
  for (;;) {
    const backlog = await db.backlog();
    if (backlog.inbox + backlog.outbox + backlog.runs === 0) return Date.now();
    if (Date.now() - start > drainTimeoutMs) {
      throw new Error(`backlog not drained after ${drainTimeoutMs / 1000} s: ${JSON.stringify(backlog)}; service stderr: ${service.lastStderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function measureService(scenario: Scenario, store: StoreKind, rep: number): Promise<Measurement> {
  const spec = await specFor('zapflow', store);
  const service = new Receiver(spec);
  const db = benchDatabase(spec, 'zapflow.db');
  try {
    await service.start();
    let restarted: Promise<void> = Promise.resolve();
    const timers: NodeJS.Timeout[] = [];
    const result = await runLoadProcess(loadConfig(service.url, scenario, 1000 + rep), (measuredFrom) => {
      timers.push(setTimeout(() => service.markLoadStart(), Math.max(0, measuredFrom - Date.now())));
      if (scenario.killAtMs === undefined) return;
      timers.push(setTimeout(() => {
        log(`  SIGKILL pid ${service.pid} at ${scenario.killAtMs} ms; starting it again`);
        restarted = service.restart();
        // Awaited after the load; until then a failed restart must not be an unhandled rejection.
        restarted.catch(() => {});
      }, Math.max(0, measuredFrom + scenario.killAtMs - Date.now())));
    });
    for (const timer of timers) clearTimeout(timer);
    await restarted;
    const drainedAt = await waitForDrain(db, service);
    await service.stop();
    const snapshot = await db.snapshot();
    const verification = verify(result.ackedIds, snapshot, db.sentLog ? await db.sentLog() : readSentLog(join(spec.dataDir, 'mcp-whatsapp.sqlite')));
    const loop = service.loopReport();
    if (result.gaveUpIds.length > 0) verification.problems.push(`${result.gaveUpIds.length} message(s) never acknowledged`);
    return {
      scenario: scenario.id, store, receiver: 'zapflow', rep, rate: scenario.rate, durationMs: scenario.durationMs,
      load: strip(result),
      drainMs: Math.max(0, drainedAt - result.lastAckAtEpochMs),
      processedPerSecond: Math.round((verification.done + verification.forwarded) / ((drainedAt - result.startedAtEpochMs) / 1000)),
      verification,
      restarts: service.starts - 1,
      ...(loop ? { loop } : {}),
    };
  } finally {
    await service.stop();
    await cleanup(spec, db);
  }
}

function describe(m: Measurement): string {
  const v = m.verification;
  const tail = v
    ? ` drain ${((m.drainMs ?? 0) / 1000).toFixed(1)} s, lost ${v.lost}, unprocessed ${v.unprocessed}, dup ${v.duplicated}, batches ${v.batches}, runs ${v.typificationRuns}${v.problems.length ? ` — ${v.problems.join('; ')}` : ''}`
    : ` lost ${m.floorLost}`;
  const loop = m.loop ? ` loop delay p99 ${m.loop.delay.p99} ms max ${m.loop.delay.max} ms, busy ${Math.round(m.loop.utilization * 100)} %;` : '';
  return `  ${m.receiver.padEnd(7)} ack p50 ${m.load.ack.p50} ms, p99 ${m.load.ack.p99} ms, max ${m.load.ack.max} ms, acked ${m.load.acked}/${m.load.planned}, failed attempts ${m.load.failedAttempts}, send lag p99 ${m.load.sendLag.p99} ms;${loop}${tail}`;
}

async function main(): Promise<void> {
  if (args['cpu-prof']) mkdirSync(args['cpu-prof'], { recursive: true });
  const measurements: Measurement[] = [];
  for (const store of stores) {
    for (const scenario of scenarios) {
      for (let rep = 1; rep <= repeat; rep++) {
        log(`${store} · ${scenario.label} · run ${rep}/${repeat}`);
        if (scenario.floor) {
          const floor = await measureFloor(scenario, store, rep);
          log(describe(floor));
          measurements.push(floor);
        }
        const service = await measureService(scenario, store, rep);
        log(describe(service));
        measurements.push(service);
      }
    }
  }
  const summary = summarize(measurements);
  process.stdout.write(`\n${summaryTable(summary)}\n`);
  mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
  writeFileSync(
    join(repoRoot, 'bench/results/webhooks.json'),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadAverage: loadavg(), options: { quick: args.quick, repeat, customers, logLevel: args['log-level'] }, summary, measurements }, null, 2)}\n`,
  );
  log('wrote bench/results/webhooks.json');
  if (summary.some((row) => row.lost > 0 || row.duplicated > 0)) process.exitCode = 1;
}

interface SummaryRow {
  store: StoreKind;
  scenario: string;
  runs: number;
  floorP50?: number;
  floorP99?: number;
  p50: number;
  p99: number;
  max: number;
  ratio?: number;
  /** The service's event-loop delay p99 (ms): how long it held acks back. */
  loopP99?: number;
  failedAttempts: number;
  drainS: number;
  processedPerSecond: number;
  lost: number;
  duplicated: number;
  batches: number;
  typificationRuns: number;
  replies: number;
  target: string;
}

/** Medians over the repetitions; lost and duplicated are the worst run's (one loss is one too many). */
function summarize(measurements: Measurement[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const store of stores) {
    for (const scenario of scenarios) {
      const of = (receiver: 'floor' | 'zapflow') => measurements.filter((m) => m.store === store && m.scenario === scenario.id && m.receiver === receiver);
      const floors = of('floor');
      const services = of('zapflow');
      if (services.length === 0) continue;
      // The ratio per run (floor and service of the same sitting), then its median.
      const ratios = services.map((s) => {
        const floor = floors.find((f) => f.rep === s.rep);
        return floor ? s.load.ack.p99 / floor.load.ack.p99 : NaN;
      });
      const ratio = floors.length ? Math.round(median(ratios) * 100) / 100 : undefined;
      // A message marked done by a turn that never saw it is lost to the customer too.
      const lost = Math.max(...services.map((s) => (s.verification?.lost ?? 0) + (s.verification?.unprocessed ?? 0)), ...floors.map((f) => f.floorLost ?? 0));
      const duplicated = Math.max(...services.map((s) => s.verification?.duplicated ?? 0));
      const problems = services.flatMap((s) => s.verification?.problems ?? []);
      const correct = lost === 0 && duplicated === 0 && problems.length === 0;
      // A floor that cannot keep up itself (its loop always busy, its median ack queued) is no floor: no ratio.
      const floorSaturated = floors.length > 0 && median(floors.map((f) => f.loop?.utilization ?? 0)) >= 0.95;
      rows.push({
        store,
        scenario: scenario.label,
        runs: services.length,
        ...(floors.length ? { floorP50: median(floors.map((f) => f.load.ack.p50)), floorP99: median(floors.map((f) => f.load.ack.p99)) } : {}),
        p50: median(services.map((s) => s.load.ack.p50)),
        p99: median(services.map((s) => s.load.ack.p99)),
        max: median(services.map((s) => s.load.ack.max)),
        ...(ratio !== undefined ? { ratio } : {}),
        loopP99: median(services.map((s) => s.loop?.delay.p99 ?? NaN)),
        failedAttempts: median(services.map((s) => s.load.failedAttempts)),
        drainS: Math.round(median(services.map((s) => s.drainMs ?? NaN)) / 100) / 10,
        processedPerSecond: median(services.map((s) => s.processedPerSecond ?? NaN)),
        lost,
        duplicated,
        batches: median(services.map((s) => s.verification?.batches ?? NaN)),
        typificationRuns: median(services.map((s) => s.verification?.typificationRuns ?? NaN)),
        replies: median(services.map((s) => s.verification?.customerReplies ?? NaN)),
        target: `${ratio === undefined ? '' : floorSaturated ? 'floor saturated, no ratio; ' : ratio <= 2 ? '≤ 2× ✔, ' : '≤ 2× ✘, '}${correct ? '0 lost, 0 dup ✔' : 'lost or dup ✘'}`,
      });
    }
  }
  return rows;
}

function summaryTable(rows: SummaryRow[]): string {
  return table(
    ['store', 'scenario', 'runs', 'floor p50', 'floor p99', 'zapflow p50', 'zapflow p99', 'zapflow max', 'p99 ÷ floor', 'loop delay p99', 'failed attempts', 'drain s', 'processed/s', 'lost', 'dup', 'batches', 'typif. runs', 'replies', 'target'],
    rows.map((r) => [r.store, r.scenario, r.runs, r.floorP50, r.floorP99, r.p50, r.p99, r.max, r.ratio, r.loopP99, r.failedAttempts, r.drainS, r.processedPerSecond, r.lost, r.duplicated, r.batches, r.typificationRuns, r.replies, r.target]),
  );
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exit(1);
});
