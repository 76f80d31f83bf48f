/**
 * The request thread never waits forever for the processing thread: a call it does not answer (here `start`,
 * stuck connecting to an MCP server that accepts connections and never replies) fails after its timeout with
 * an error that says which call and what to look at, and the thread can still be stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/logging.js';
import { ProcessingCallTimeoutError } from '../../../src/service/messages.js';
import { ProcessingThread } from '../../../src/service/thread.js';
import { serviceEnv } from '../../helpers/service.js';

const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-thread-timeout-'));
const sockets = new Set<Socket>();
// An MCP endpoint that takes the connection and never answers.
const silent = createServer((socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a processing thread that does not answer', () => {
  it('fails the call after its timeout, naming it, and still stops', async () => {
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const { port } = silent.address() as { port: number };
    // A database server that accepts connections and never answers: the thread's start waits on it (an MCP
    // server that never answers no longer holds the start — delivery waits for MCP, intake does not).
    const config = loadConfig({ ...serviceEnv(dataDir), DATABASE_URL: `postgresql://zapflow@127.0.0.1:${port}/zapflow` });
    const thread = new ProcessingThread({ config, logger: silentLogger, callTimeoutsMs: { start: 3000, stop: 3000 } });
    const started = thread.start();
    await expect(started).rejects.toBeInstanceOf(ProcessingCallTimeoutError);
    await expect(started).rejects.toThrow(/did not answer "start" within 3000 ms/);
    await thread.stop();
  }, 60_000);
});
