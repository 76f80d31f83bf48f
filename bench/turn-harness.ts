/**
 * What bench/turn.ts and bench/turn-ab.ts share: a real `zapflow serve` (embedded SQLite, embedded model, Meta
 * sender pointed at a fake Graph API on 127.0.0.1), single-message conversations as signed Meta webhooks, and
 * the process's CPU and bytes written read from /proc. Loopback only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMetaTextWebhook, type WebhookRequest } from '../src/webhooks/sign.js';
import { FAKE_META_DEFAULTS } from '../test/helpers/fake-meta.js';
import type { FakeProvider } from '../test/helpers/mcp-fake-provider.js';
import { BENCH_AGENTS, BENCH_SECRETS, customerPhone } from './webhook-plan.js';
import { repoRoot } from './webhook-harness.js';
import { sqliteBenchDatabase } from './webhook-verify.js';

export { BENCH_AGENTS };

/** Seconds a phase may take before the bench gives up (a stuck service must not hang the bench). */
export const PHASE_TIMEOUT_MS = Number(process.env.BENCH_TURN_TIMEOUT_MS ?? 180_000);

/** Short support texts that the self-service answers (one turn: typification, escalation check, reply). */
export const TEXTS = [
  'como faço pra pedir a segunda via do boleto?', 'qual o limite do meu cartão?', 'minha maquininha não liga',
  'quando cai o dinheiro das vendas?', 'como cadastro uma chave pix?', 'fiz um pix e não caiu ainda',
  'como bloqueio meu cartão?', 'esqueci minha senha do app', 'como antecipo meus recebíveis?', 'oi, preciso de ajuda',
];

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const CLK_TCK = 100;

/** CLOCK_MONOTONIC in µs, the clock V8's profiler stamps its samples with. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** utime + stime of a process (all its threads) in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is field 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/**
 * Bytes a process (all its threads) handed to write syscalls, in KB (/proc/<pid>/io `wchar`): WAL frames,
 * checkpoints, sockets, logs. SQLite rewrites every page a commit touches, so this tells commits apart.
 */
export function processWrittenKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((entry) => entry.startsWith('wchar:'));
  return Number(line?.slice('wchar:'.length) ?? 0) / 1024;
}

/** One message each from `count` new customers, numbered from `firstCustomer`. */
export function conversations(firstCustomer: number, count: number, turn = 1): WebhookRequest[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) =>
    buildMetaTextWebhook({
      appSecret: BENCH_SECRETS.metaAppSecret,
      from: customerPhone(firstCustomer + i),
      // A conversation's later turns ask about other things (as a customer back with a new question would).
      text: TEXTS[(i + turn - 1) % TEXTS.length]!,
      name: 'Cliente',
      phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId,
      timestamp: now + i,
    }));
}

/** Sends the webhooks `concurrency` at a time (a keep-alive client, as Meta's); each must be acked 200. */
export async function sendAll(url: string, requests: WebhookRequest[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < requests.length) {
      const request = requests[next++]!;
      const response = await fetch(url + request.path, { method: 'POST', headers: request.headers, body: request.body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`webhook answered ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export class Service {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  readonly dataDir = mkdtempSync(join(tmpdir(), 'zapflow-bench-turn-'));
  readonly prefix = 'zf_';

  private readonly cpuProfDir: string | undefined;
  /** The checkout whose code runs (bench/turn-ab.ts runs another commit's beside this one). */
  readonly root: string;

  constructor(readonly port: number, private readonly env: Record<string, string>, options: { cpuProfDir?: string | undefined; root?: string } = {}) {
    this.cpuProfDir = options.cpuProfDir;
    this.root = options.root ?? repoRoot;
  }

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
      cwd: this.root,
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
export async function drained(service: Service, meta: FakeProvider, replies: number): Promise<void> {
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

/** The median, unrounded (ratios are printed to three decimals). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
