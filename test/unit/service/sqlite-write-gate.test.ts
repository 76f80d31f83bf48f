/**
 * Webhook commits first: while the request thread's inbox commit waits for the SQLite write lock, the
 * processing thread does not start another write transaction. Order is checked through shared memory (no
 * clocks): the worker records whether the commit had finished when it got through.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { SqliteWriteGate } from '../../../src/service/sqlite-write-gate.js';

const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
const gateModule = new URL('../../../src/service/sqlite-write-gate.ts', import.meta.url).href;

/** A worker that, like the processing thread before a write, gives way; it then reads `committed`. */
function processingThread(gate: SharedArrayBuffer, committed: SharedArrayBuffer): { passed: Promise<number>; ready: Promise<void> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(gateModule)}); }).then(({ giveWayTo }) => {
      const giveWay = giveWayTo(workerData.gate, 60_000);
      parentPort.postMessage('ready');
      giveWay();
      parentPort.postMessage(Atomics.load(new Int32Array(workerData.committed), 0));
    });`;
  const worker = new Worker(code, { eval: true, workerData: { gate, committed } });
  let ready!: () => void;
  const readyPromise = new Promise<void>((resolve) => (ready = resolve));
  const passed = new Promise<number>((resolve, reject) => {
    worker.on('message', (message: unknown) => {
      if (message === 'ready') ready();
      else {
        resolve(message as number);
        void worker.terminate();
      }
    });
    worker.on('error', reject);
  });
  return { passed, ready: readyPromise };
}

describe('SqliteWriteGate', () => {
  it('holds the processing thread back while an inbox commit waits, and lets it go once the commit is done', async () => {
    const gate = new SqliteWriteGate();
    const committed = new SharedArrayBuffer(4);
    gate.want();
    const worker = processingThread(gate.buffer, committed);
    await worker.ready;
    await new Promise((resolve) => setImmediate(resolve));
    Atomics.store(new Int32Array(committed), 0, 1); // the commit went through…
    gate.done(); // …and says so
    expect(await worker.passed).toBe(1);
  });

  it('does not hold the processing thread when no commit is waiting', async () => {
    const gate = new SqliteWriteGate();
    const committed = new SharedArrayBuffer(4);
    const worker = processingThread(gate.buffer, committed);
    expect(await worker.passed).toBe(0);
  });
});
