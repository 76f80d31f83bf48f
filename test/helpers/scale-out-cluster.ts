/**
 * Real zapflow processes for the scale-out tests and `npm run bench:scale`: `zapflow serve --role web` and
 * `zapflow worker` children (the same CLI an operator runs), each on a free loopback port with its own data
 * directory, started and waited for through `/readyz`. Every child is killed or awaited by its owner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './serve-process.js';

export type ProcessRole = 'web' | 'worker';

export class ZapflowProcess {
  /** Everything the child wrote to stderr and stdout (its logs), across restarts. */
  output = '';
  url = '';
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly dataDir: string;
  starts = 0;

  constructor(
    readonly role: ProcessRole,
    readonly name: string,
    private readonly env: Record<string, string>,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `zapflow-${name}-`));
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and waits until its /readyz answers 200 (bounded). */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const args = ['--import', 'tsx', 'src/cli/main.ts', ...(this.role === 'web' ? ['serve', '--role', 'web'] : ['worker'])];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...this.env, PORT: String(port), HOST: '127.0.0.1', ZAPFLOW_DATA_DIR: this.dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('close', () => resolve()));
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited during start:\n${this.output.slice(-3000)}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not ready after ${readyTimeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGKILL: no cleanup, no flush, leases and jobs left behind. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Freezes the process (a GC pause, a partition): it stops heart-beating but keeps its state. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM), then SIGKILL if it takes longer than `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGCONT');
    this.child?.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Shared settings of every process of a test cluster (secrets, fakes, short timings). */
export function clusterEnv(options: {
  databaseUrl: string;
  claudeBaseURL: string;
  metaGraphUrl: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'warn',
    WHATSAPP_APP_SECRET: 'scale-out-app-secret',
    WHATSAPP_VERIFY_TOKEN: 'scale-out-verify-token',
    ADMIN_TOKEN: 'scale-out-admin-token-0123456789',
    AGENT_ALERT_NUMBERS: '5511900000090',
    ANTHROPIC_API_KEY: 'sk-ant-fake-scale-out',
    ANTHROPIC_BASE_URL: options.claudeBaseURL,
    META_ACCESS_TOKEN: 'fake-meta-token-0123456789',
    META_PHONE_NUMBER_ID: '100000000000001',
    META_GRAPH_URL: options.metaGraphUrl,
    ZAPFLOW_PROCESSING: 'inline',
    ...options.extra,
  };
}

export const CLUSTER_SECRETS = { appSecret: 'scale-out-app-secret', adminToken: 'scale-out-admin-token-0123456789' };
