/**
 * The worker side of the turn queue: a job holder waits until the conversation is quiet (the coalescing window
 * still works across processes), takes the messages in the customer's order, continues a run a dead worker left
 * unfinished, and takes nothing once its job was handed to another worker.
 */
import { describe, expect, it } from 'vitest';
import type { InboxItem, InboxRecord } from '../../../src/conversations/store/types.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { MemoryStorage } from '../../../src/engine/index.js';
import { silentLogger } from '../../../src/logging.js';
import { QueuedTurns } from '../../../src/service/queued-turns.js';
import type { TurnQueue } from '../../../src/service/turn-queue.js';

const KEY = 'meta:100000000000002:5511987650000';
const message = (messageId: string, text: string, sentAt: number): InboxItem => ({
  provider: 'meta', messageId, conversationKey: KEY, kind: 'text', customer: '5511987650000', text, sentAt,
});

function setup(coalesceWindowMs: number) {
  const store = new MemoryServiceStore();
  const turns: Array<{ runId: string; texts: string[] }> = [];
  const queued = new QueuedTurns({
    queue: {} as TurnQueue, store, storage: new MemoryStorage(), owner: 'worker-1', concurrency: 1, coalesceWindowMs, logger: silentLogger,
    process: async (_key: string, items: InboxRecord[], runId: string) => {
      turns.push({ runId, texts: items.map((item) => item.text) });
      await store.markInbox(items.map((item) => item.id), 'done', Date.now());
    },
  });
  return { store, turns, queued };
}

describe('QueuedTurns.drain', () => {
  it('a burst that keeps arriving after the job became due is still one turn, in the customer order', async () => {
    const { store, turns, queued } = setup(300);
    await store.insertInbox([message('m1', 'oi', 1000)], Date.now());
    const draining = queued.drain(KEY); // the job is due; the customer is still typing
    await new Promise((resolve) => setTimeout(resolve, 150));
    await store.insertInbox([message('m3', 'não liga', 3000), message('m2', 'minha maquininha', 2000)], Date.now());
    await draining;
    expect(turns.map((turn) => turn.texts)).toEqual([['oi', 'minha maquininha', 'não liga']]);
  });

  it('a batch a dead worker left processing is resumed alone under its run; later messages are the next turn', async () => {
    const { store, turns, queued } = setup(0);
    await store.insertInbox([message('m1', 'oi', 1000)], Date.now());
    await store.takePending(KEY, 'run-of-dead-worker', Date.now());
    await store.insertInbox([message('m2', 'alô?', 2000)], Date.now());
    await queued.drain(KEY);
    expect(turns.map((turn) => turn.texts)).toEqual([['oi'], ['alô?']]);
    expect(turns[0]?.runId).toBe('run-of-dead-worker');
    expect(turns[1]?.runId).not.toBe('run-of-dead-worker');
  });

  it('a worker whose job went to another takes no message (it fails the job instead)', async () => {
    const { store, turns, queued } = setup(0);
    await store.insertInbox([message('m1', 'oi', 1000)], Date.now());
    await expect(queued.drain(KEY, async () => false)).rejects.toThrow(/no longer held/);
    expect(turns).toEqual([]);
    expect((await store.recentMessages(KEY, 10)).map((item) => item.status)).toEqual(['pending']);
  });
});
