/**
 * On a machine of two cores `zapflow serve` runs with one V8 background thread (src/cli/v8-pool.ts): it starts
 * itself again in place, so the process a supervisor started is the one serving — killing that PID leaves nothing
 * answering — and an operator's own `--v8-pool-size` is kept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ServeProcess } from '../../helpers/serve-process.js';
import { serviceEnv } from '../../helpers/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-v8-pool-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** NODE_OPTIONS of the running process as the kernel has it (what its image was started with). */
const nodeOptionsOf = (pid: number): string | undefined =>
  readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith('NODE_OPTIONS='))?.slice('NODE_OPTIONS='.length);

const answers = async (url: string): Promise<boolean> => fetch(`${url}/healthz`).then((response) => response.ok, () => false);

describe.runIf(process.platform === 'linux')('V8 background threads of zapflow serve', () => {
  it('on two cores the started process itself serves with one V8 background thread, and dies with its PID', async () => {
    const service = new ServeProcess(await freePort(), { ...serviceEnv(dataDir, { LOG_LEVEL: 'info' }), DATABASE_URL: '', NODE_OPTIONS: '' }, { keepStdout: true });
    try {
      await service.start();
      const pid = service.pid!;
      const options = nodeOptionsOf(pid) ?? '';
      // The operator reads it in the start-up log.
      const said = () => service.stdout.split('\n').filter((line) => line.includes('V8 background threads')).map((line) => JSON.parse(line) as { v8PoolSize?: string });
      for (const deadline = Date.now() + 30_000; said().length === 0 && availableParallelism() <= 2 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
      if (availableParallelism() <= 2) {
        expect(options).toContain('--v8-pool-size=1');
        expect(said().map((line) => line.v8PoolSize)).toEqual(['1']);
      } else {
        expect(options).not.toContain('--v8-pool-size');
      }
      await service.kill();
      expect(await answers(service.url)).toBe(false);
    } finally {
      await service.stop();
    }
  });

  it("keeps the operator's own pool size", async () => {
    const service = new ServeProcess(await freePort(), { ...serviceEnv(dataDir), DATABASE_URL: '', NODE_OPTIONS: '--v8-pool-size=2' });
    try {
      await service.start();
      expect(nodeOptionsOf(service.pid!)).toBe('--v8-pool-size=2');
    } finally {
      await service.stop();
    }
  });
});
