/**
 * Process plumbing of the webhook bench: receivers (the bare floor, or the real `zapflow serve`) each in their
 * own Node process on a fixed loopback port (so a killed service comes back on the same address), and the load
 * generator forked beside them, driven over IPC.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LoadConfig, LoadReport, LoadResult } from './webhook-load.js';
import type { LoopProbeReport } from './webhook-loop-probe.js';
import { BENCH_AGENTS, BENCH_SECRETS } from './webhook-plan.js';

export type StoreKind = 'sqlite' | 'postgres';

export interface ReceiverSpec {
  kind: 'floor' | 'zapflow';
  store: StoreKind;
  port: number;
  dataDir: string;
  /** Table prefix (the bench's own, dropped after a Postgres run). */
  prefix: string;
  databaseUrl?: string;
  /** zapflow's LOG_LEVEL (stdout goes to /dev/null, as to a log shipper that keeps up). */
  logLevel: string;
  /** Write a V8 CPU profile of the receiver here (`node --cpu-prof`) when it exits. */
  cpuProfDir?: string;
  /** Extra environment for the service (e.g. COALESCE_WINDOW_MS). */
  env?: Record<string, string>;
}

export const repoRoot = join(import.meta.dirname, '..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

function receiverEnv(spec: ReceiverSpec): Record<string, string> {
  const common = { PORT: String(spec.port), HOST: '127.0.0.1', DATABASE_URL: spec.store === 'postgres' ? spec.databaseUrl ?? '' : '' };
  if (spec.kind === 'floor') {
    return { ...common, FLOOR_STORE: spec.store, FLOOR_DB_FILE: join(spec.dataDir, 'floor.db'), FLOOR_TABLE_PREFIX: spec.prefix };
  }
  return {
    ...common,
    LOG_LEVEL: spec.logLevel,
    ZAPFLOW_DATA_DIR: spec.dataDir,
    ZAPFLOW_TABLE_PREFIX: spec.prefix,
    WHATSAPP_APP_SECRET: BENCH_SECRETS.metaAppSecret,
    WHATSAPP_VERIFY_TOKEN: BENCH_SECRETS.metaVerifyToken,
    EVOLUTION_WEBHOOK_SECRET: BENCH_SECRETS.evolutionSecret,
    ADMIN_TOKEN: BENCH_SECRETS.adminToken,
    AGENT_ALERT_NUMBERS: BENCH_AGENTS.join(','),
    // Embedded model and dry-run WhatsApp: nothing leaves the machine.
    ANTHROPIC_API_KEY: '', META_ACCESS_TOKEN: '', META_PHONE_NUMBER_ID: '', EVOLUTION_URL: '', EVOLUTION_API_KEY: '', EVOLUTION_INSTANCE: '',
    ...spec.env,
  };
}

/** One receiver process; `restart()` starts a new one with the same spec (after a kill). */
export class Receiver {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';
  starts = 0;

  constructor(readonly spec: ReceiverSpec) {}

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  private get probeFile(): string {
    return join(this.spec.dataDir, `loop-probe-${this.spec.kind}.json`);
  }

  /** The load starts now: the loop probe forgets start-up. */
  markLoadStart(): void {
    this.child?.kill('SIGUSR2');
  }

  /** What the loop probe saw in the last process, once it exited gracefully. */
  loopReport(): LoopProbeReport | undefined {
    return existsSync(this.probeFile) ? (JSON.parse(readFileSync(this.probeFile, 'utf8')) as LoopProbeReport) : undefined;
  }

  async start(): Promise<void> {
    const script = this.spec.kind === 'floor' ? ['bench/webhook-floor.ts'] : ['src/cli/main.ts', 'serve'];
    const profile = this.spec.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${this.spec.cpuProfDir}`] : [];
    this.starts++;
    this.stderr = '';
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--import', './bench/webhook-loop-probe.ts', ...script], {
      cwd: repoRoot,
      env: { ...process.env, ...receiverEnv(this.spec), BENCH_LOOP_PROBE_FILE: this.probeFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // Generous: on a shared, loaded machine a cold start (tsx, the embedded model) can take a minute.
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.spec.kind} exited at start: ${this.stderr}`);
      if (await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.spec.kind} did not answer /healthz within 180 s: ${this.stderr}`);
  }

  /** SIGKILL: no shutdown code runs, as when the machine or the OOM killer takes the process. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** SIGTERM (graceful: the service finishes in-flight turns), SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  get lastStderr(): string {
    return this.stderr;
  }
}

/** Forks the load generator, runs one load, resolves with its result; `onStarted` gets when the measured load starts (epoch ms). */
export function runLoadProcess(config: LoadConfig, onStarted: (measuredFromEpochMs: number) => void): Promise<LoadResult> {
  const child = fork(join(repoRoot, 'bench/webhook-load.ts'), [], { cwd: repoRoot, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise<LoadResult>((resolve, reject) => {
    let settled = false;
    child.on('message', (report: LoadReport) => {
      if (report.type === 'started') onStarted(report.measuredFromEpochMs);
      else if (report.type === 'result') {
        settled = true;
        resolve(report.result);
      } else {
        settled = true;
        reject(new Error(`load generator failed: ${report.message}`));
      }
    });
    // 'close' (not 'exit'): it comes after the IPC channel delivered every message.
    child.once('close', (code) => {
      if (!settled) reject(new Error(`load generator exited with code ${code} before reporting`));
    });
    child.send({ type: 'run', config });
  });
}
