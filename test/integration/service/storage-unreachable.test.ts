/**
 * A database that does not answer at start must not crash-loop the service: `zapflow serve` stays up,
 * `/healthz` says alive, `/readyz` says not ready and why, and SIGTERM still stops it cleanly.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../helpers/serve-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECRETS, serviceEnv } from '../../helpers/service.js';

describe('zapflow serve with Postgres unreachable', () => {
  it('reports not ready instead of exiting, and stops cleanly', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-unreachable-'));
    const [port, deadPort] = [await freePort(), await freePort()];
    const { PORT: _port, ...env } = serviceEnv(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, ...env, PORT: String(port), DATABASE_URL: `postgresql://postgres@127.0.0.1:${deadPort}/zapflow` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 300 && !ready; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(ready?.status).toBe(503);
      // Anyone may probe; only the admin token's bearer learns where the database is.
      const anonymous = JSON.stringify(await ready!.json());
      expect(anonymous).toMatch(/not_ready.*storage.*failing/);
      expect(anonymous).not.toContain(String(deadPort));
      const detailed = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
      expect(JSON.stringify(await detailed.json())).toContain(String(deadPort));
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      expect(child.exitCode).toBeNull();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
