/**
 * `npm run bench:turn` — the CPU a customer's turn costs, measured from outside (issue 21).
 *
 * A real `zapflow serve` (embedded SQLite, embedded model, Meta sender pointed at a fake Graph API on
 * 127.0.0.1) gets N single-message conversations as signed Meta webhooks. The serve process's CPU
 * (utime + stime of every thread, /proc/<pid>/stat) is read before the first webhook and after the last reply
 * was delivered and nothing is pending. The same N webhooks are then sent to a fresh service with processing
 * held back (`COALESCE_WINDOW_MS=60000`: every conversation waits in its coalescing window for longer than the
 * measurement), which prices the acks alone. total − ack = what the turns cost. The bytes the process hands
 * to write syscalls (/proc/<pid>/io) are priced the same way: SQLite rewrites every page a commit touches, so
 * "KB written a turn" shows how many commits a turn costs.
 *
 * Both services first take a warm-up of the same shape (processed, or held back), so the JIT has compiled the
 * paths before the measured conversations, as in a service that has been up for a while: V8 keeps optimizing
 * functions for thousands of turns (with a 100-conversation warm-up its background compiler was ~9 % of the
 * measured CPU, and the turn measured ~0.7 ms more than after 4,000). Median of `--repeat` (default 3) sittings,
 * each measuring both. The window is 1,600 conversations: what comes in bursts (a major garbage collection, the
 * compiler still optimizing) falls in a 400-conversation window or not, and such windows measured the same
 * service ~0.5 ms a turn higher and further apart (idle, the service spends ~12 ms of CPU a second).
 *
 *   npm run bench:turn                         # 1,600 conversations after 3,000, 3 sittings (~2 min)
 *   npm run bench:turn -- --conversations 400 --warmup 100   # the window the issue measured (see bench/README)
 *   npm run bench:turn -- --repeat 1 --conversations 200
 *   npm run bench:turn -- --cpu-prof /tmp/turn-prof   # a V8 CPU profile of each processing service
 *   npm run bench:turn -- --perf /tmp/turn.perf       # Linux perf of the measured window (all threads, native)
 *   BENCH_TURN_NODE_FLAGS="--trace-deopt" npm run bench:turn   # V8 flags for the service (NODE_OPTIONS refuses them)
 *
 * Loopback only; every process it starts is stopped before it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildMetaTextWebhook, type WebhookRequest } from '../src/webhooks/sign.js';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../test/helpers/fake-meta.js';
import type { FakeProvider } from '../test/helpers/mcp-fake-provider.js';
import { table } from './lib.js';
import { BENCH_AGENTS, BENCH_SECRETS, customerPhone } from './webhook-plan.js';
import { freePort, repoRoot } from './webhook-harness.js';
import { sqliteBenchDatabase } from './webhook-verify.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '1600' },
    warmup: { type: 'string', default: '3000' },
    repeat: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
    /** `perf record` (Linux perf, if installed) of the processing service during the measured window, into this file. */
    perf: { type: 'string' },
    /** Webhooks in flight at once (a keep-alive client, as Meta's). */
    concurrency: { type: 'string', default: '8' },
  },
});
const CONVERSATIONS = Number(args.conversations);
const WARMUP = Number(args.warmup);
const REPEAT = Number(args.repeat);
const CONCURRENCY = Number(args.concurrency);
/** Seconds a phase may take before the bench gives up (a stuck service must not hang the bench). */
const PHASE_TIMEOUT_MS = Number(process.env.BENCH_TURN_TIMEOUT_MS ?? 180_000);

/** Short support texts that the self-service answers (one turn: typification, escalation check, reply). */
const TEXTS = [
  'como faço pra pedir a segunda via do boleto?', 'qual o limite do meu cartão?', 'minha maquininha não liga',
  'quando cai o dinheiro das vendas?', 'como cadastro uma chave pix?', 'fiz um pix e não caiu ainda',
  'como bloqueio meu cartão?', 'esqueci minha senha do app', 'como antecipo meus recebíveis?', 'oi, preciso de ajuda',
];

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** CLOCK_MONOTONIC in µs, the clock V8's profiler stamps its samples with. */
const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** utime + stime of a process (all its threads) in ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/**
 * Bytes a process (all its threads) handed to write syscalls, in KB (/proc/<pid>/io `wchar`): WAL frames,
 * checkpoints, sockets, logs. SQLite rewrites every page a commit touches, so this tells commits apart.
 */
function processWrittenKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((entry) => entry.startsWith('wchar:'));
  return Number(line?.slice('wchar:'.length) ?? 0) / 1024;
}

/** One message each from `count` new customers, numbered from `firstCustomer`. */
function conversations(firstCustomer: number, count: number): WebhookRequest[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) =>
    buildMetaTextWebhook({
      appSecret: BENCH_SECRETS.metaAppSecret,
      from: customerPhone(firstCustomer + i),
      text: TEXTS[i % TEXTS.length]!,
      name: 'Cliente',
      phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId,
      timestamp: now + i,
    }));
}

async function sendAll(url: string, requests: WebhookRequest[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const response = await fetch(url + request.path, { method: 'POST', headers: request.headers, body: request.body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  readonly dataDir = mkdtempSync(join(tmpdir(), 'zapflow-bench-turn-'));
  readonly prefix = 'zf_';

  constructor(readonly port: number, private readonly env: Record<string, string>, private readonly cpuProfDir?: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (!this.child?.pid) throw new Error('service not started');
    return this.child.pid;
  }

  async start(): Promise<void> {
    const profile = this.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${this.cpuProfDir}`] : [];
    // BENCH_TURN_NODE_FLAGS: V8 flags for the service (e.g. --trace-deopt), which NODE_OPTIONS refuses.
    const flags = process.env.BENCH_TURN_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...profile, ...flags, '--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: String(this.port), HOST: '127.0.0.1', DATABASE_URL: '',
        LOG_LEVEL: 'info', ZAPFLOW_DATA_DIR: this.dataDir, ZAPFLOW_TABLE_PREFIX: this.prefix,
        WHATSAPP_APP_SECRET: BENCH_SECRETS.metaAppSecret, WHATSAPP_VERIFY_TOKEN: BENCH_SECRETS.metaVerifyToken,
        ADMIN_TOKEN: BENCH_SECRETS.adminToken, AGENT_ALERT_NUMBERS: BENCH_AGENTS.join(','), ANTHROPIC_API_KEY: '', EVOLUTION_URL: '', EVOLUTION_API_KEY: '', EVOLUTION_INSTANCE: '',
        ...this.env,
      },
      stdio: ['ignore', process.env.BENCH_TURN_LOGS ? 'inherit' : 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`zapflow serve exited at start: ${this.stderr}`);
      if (await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`zapflow serve did not answer /healthz in time: ${this.stderr}`);
  }

  /** Graceful stop (writes the CPU profile), SIGKILL after 30 s; removes its data. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Until every inbox row is done, no outbox row waits and no run runs, and the fake got `replies` messages. */
async function drained(service: Service, meta: FakeProvider, replies: number): Promise<void> {
  const db = sqliteBenchDatabase(join(service.dataDir, 'zapflow.db'), service.prefix);
  try {
    const deadline = Date.now() + PHASE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const backlog = await db.backlog();
      if (meta.accepted.length >= replies && backlog.inbox === 0 && backlog.outbox === 0 && backlog.runs === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`not drained after ${PHASE_TIMEOUT_MS} ms: ${meta.accepted.length}/${replies} replies, ${meta.requests.length} requests, backlog ${JSON.stringify(await db.backlog())}`);
  } finally {
    await db.close();
  }
}

interface Sitting {
  ackMsPerMessage: number;
  totalMsPerMessage: number;
  turnMs: number;
  /** KB handed to write syscalls per turn (processing service − acks alone, per message). */
  turnWrittenKb: number;
  /** Wall time of the measured processing (first webhook → drained). */
  processingWallS: number;
  load1: number;
}

async function sitting(index: number): Promise<Sitting> {
  const meta = await startFakeMeta();
  const senderEnv = { META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: FAKE_META_DEFAULTS.phoneNumberId, META_GRAPH_URL: meta.url };
  const load1 = loadavg()[0]!;
  // Customers numbered per sitting, so nothing is carried from one service to the next.
  const base = index * (WARMUP + CONVERSATIONS) * 2;
  try {
    // Processing: warm-up conversations drained first, then the measured ones.
    const processing = new Service(await freePort(), senderEnv, args['cpu-prof']);
    let totalMs: number;
    let totalKb: number;
    let processingWallS: number;
    try {
      await processing.start();
      await sendAll(processing.url, conversations(base, WARMUP));
      await drained(processing, meta, WARMUP);
      const perf = args.perf ? await startPerf(processing.pid, args.perf) : undefined;
      const before = processCpuMs(processing.pid);
      const writtenBefore = processWrittenKb(processing.pid);
      const t0 = performance.now();
      const windowStartUs = monotonicUs();
      await sendAll(processing.url, conversations(base + WARMUP, CONVERSATIONS));
      await drained(processing, meta, WARMUP + CONVERSATIONS);
      totalMs = processCpuMs(processing.pid) - before;
      totalKb = processWrittenKb(processing.pid) - writtenBefore;
      processingWallS = (performance.now() - t0) / 1000;
      if (perf) await stopPerf(perf);
      // The profile's sample times are on the same monotonic clock: bench/turn-profile.ts keeps only this window.
      if (args['cpu-prof']) writeFileSync(join(args['cpu-prof'], `window-${processing.pid}.json`), JSON.stringify({ pid: processing.pid, startUs: windowStartUs, endUs: monotonicUs(), conversations: CONVERSATIONS }));
    } finally {
      await processing.stop();
    }
    // Acks alone: the same shape, processing held back for longer than the phase lasts.
    const held = new Service(await freePort(), { ...senderEnv, COALESCE_WINDOW_MS: '60000' });
    let ackMs: number;
    let ackKb: number;
    try {
      await held.start();
      await sendAll(held.url, conversations(base + WARMUP + CONVERSATIONS, WARMUP));
      const before = processCpuMs(held.pid);
      const writtenBefore = processWrittenKb(held.pid);
      await sendAll(held.url, conversations(base + 2 * WARMUP + CONVERSATIONS, CONVERSATIONS));
      // The inbox commit is part of the ack; whatever trails it (the worker hearing of the keys) settles here.
      await new Promise((resolve) => setTimeout(resolve, 200));
      ackMs = processCpuMs(held.pid) - before;
      ackKb = processWrittenKb(held.pid) - writtenBefore;
      if (meta.accepted.length > WARMUP + CONVERSATIONS) throw new Error('processing was not held back: replies were sent');
    } finally {
      await held.stop();
    }
    if (meta.violations.length > 0) throw new Error(`fake Meta saw bad requests: ${meta.violations.join('; ')}`);
    const ackMsPerMessage = ackMs / CONVERSATIONS;
    const totalMsPerMessage = totalMs / CONVERSATIONS;
    return {
      ackMsPerMessage, totalMsPerMessage, turnMs: totalMsPerMessage - ackMsPerMessage, turnWrittenKb: (totalKb - ackKb) / CONVERSATIONS, processingWallS, load1,
    };
  } finally {
    await meta.close();
  }
}

/**
 * `perf record` of one process: sees what the V8 profile cannot — native code (SQLite, libc), the kernel, the
 * garbage collector's and the compiler's background threads — all of which /proc counts as the process's CPU.
 * Started with `--perf-basic-prof` in NODE_OPTIONS, `perf report` also names the JIT-compiled JS functions.
 */
async function startPerf(pid: number, file: string): Promise<ChildProcess> {
  const perf = spawn('perf', ['record', '-F', '999', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (perf.exitCode !== null) throw new Error('perf record did not start (is Linux perf installed, perf_event_paranoid low enough?)');
  return perf;
}

async function stopPerf(perf: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  perf.kill('SIGINT');
  await exited;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const ms = (value: number): string => value.toFixed(2);

if (args['cpu-prof']) mkdirSync(args['cpu-prof'], { recursive: true });
const sittings: Sitting[] = [];
for (let i = 0; i < REPEAT; i++) {
  const result = await sitting(i);
  sittings.push(result);
  console.log(`sitting ${i + 1}/${REPEAT}: ack ${ms(result.ackMsPerMessage)} ms/msg, total ${ms(result.totalMsPerMessage)} ms/msg, turn ${ms(result.turnMs)} ms, ${result.turnWrittenKb.toFixed(0)} KB written a turn (load ${result.load1.toFixed(1)})`);
}
const summary = {
  ackMsPerMessage: median(sittings.map((s) => s.ackMsPerMessage)),
  totalMsPerMessage: median(sittings.map((s) => s.totalMsPerMessage)),
  turnMs: median(sittings.map((s) => s.turnMs)),
  turnWrittenKb: median(sittings.map((s) => s.turnWrittenKb)),
};
console.log(`\n${CONVERSATIONS} single-message conversations per sitting, ${WARMUP} warm-up, median of ${REPEAT} (load average ${sittings.map((s) => s.load1.toFixed(1)).join(' / ')})\n`);
console.log(table(
  ['', 'ack CPU ms/msg', 'total CPU ms/msg', 'turn CPU ms (total − ack)', 'KB written a turn', 'target'],
  [
    ...sittings.map((s, i) => [`sitting ${i + 1}`, ms(s.ackMsPerMessage), ms(s.totalMsPerMessage), ms(s.turnMs), s.turnWrittenKb.toFixed(0), '']),
    ['median', ms(summary.ackMsPerMessage), ms(summary.totalMsPerMessage), ms(summary.turnMs), summary.turnWrittenKb.toFixed(0), summary.turnMs <= 1.5 ? '≤ 1.5 ✔' : '≤ 1.5 ✘'],
  ],
));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'turn.json'), JSON.stringify({ conversations: CONVERSATIONS, warmup: WARMUP, sittings, summary }, null, 2));
