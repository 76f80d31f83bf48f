import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { takeProcessIdentity } from '../../../src/service/process-identity.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Another process takes the data directory's identity and prints its owner; `exit` decides whether it stays. */
async function otherProcess(dataDir: string, stay: boolean): Promise<{ owner: string; kill(): Promise<void> }> {
  const script = `
    const { takeProcessIdentity } = await import(${JSON.stringify(new URL('../../../src/service/process-identity.ts', import.meta.url).href)});
    console.log(takeProcessIdentity(${JSON.stringify(dataDir)}).owner);
    ${stay ? 'setInterval(() => {}, 1000);' : ''}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const owner = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the other process exited (${code}) before printing its owner`)));
  });
  return {
    owner,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('takeProcessIdentity', () => {
  it('names the previous owner of the data directory once that process is dead', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-identity-'));
    dirs.push(dataDir);
    const killed = await otherProcess(dataDir, true);
    await killed.kill();
    const identity = takeProcessIdentity(dataDir);
    expect(identity.deadPredecessor).toBe(killed.owner);
    expect(identity.owner).not.toBe(killed.owner);
    // The next start finds this process, alive: nothing to take over.
    expect(takeProcessIdentity(dataDir).deadPredecessor).toBeUndefined();
  }, 60_000);

  it('leaves a previous owner that is still running alone', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-identity-'));
    dirs.push(dataDir);
    const alive = await otherProcess(dataDir, true);
    try {
      expect(takeProcessIdentity(dataDir).deadPredecessor).toBeUndefined();
    } finally {
      await alive.kill();
    }
    // Its record was kept: once it is gone, the next start takes over from it.
    expect(takeProcessIdentity(dataDir).deadPredecessor).toBe(alive.owner);
  }, 60_000);

  it('has no predecessor without a data directory or on a first start', () => {
    expect(takeProcessIdentity(undefined).deadPredecessor).toBeUndefined();
    const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-identity-'));
    dirs.push(dataDir);
    expect(takeProcessIdentity(dataDir).deadPredecessor).toBeUndefined();
  });
});
