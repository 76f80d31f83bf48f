/**
 * A real `zapflow serve` child process on a fixed loopback port (so a killed service comes back on the same
 * address), for black-box crash tests: start, SIGKILL, start again on the same data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export class ServeProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  stderr = '';
  /** What the current process wrote to stdout (its logs), when kept. */
  stdout = '';

  constructor(
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly options: { keepStdout?: boolean } = {},
  ) {}

  /** The PID of the service's process (the one it was started as: it may start itself again in place). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the service and resolves once /healthz answers (bounded: a busy machine may take a while). */
  async start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', this.options.keepStdout ? 'pipe' : 'ignore', 'pipe'],
    });
    this.child = child;
    this.stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-20_000)));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`zapflow serve exited early: ${this.stderr}`);
      if (await fetch(`${this.url}/healthz`).then((r) => r.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`zapflow serve did not become healthy within ${timeoutMs} ms: ${this.stderr}`);
  }

  /** SIGKILL: no shutdown code runs, as when the machine or the OOM killer takes the process. */
  async kill(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the graceful exit (SIGKILL after `graceMs`). */
  async stop(graceMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
