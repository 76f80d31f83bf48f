import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConversationDispatcher, TurnDeferredError } from '../../../src/service/dispatcher.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import type { InboxItem, InboxRecord } from '../../../src/conversations/store/types.js';

function message(conversationKey: string, n: number, sentAt: number): InboxItem {
  return { provider: 'meta', messageId: `wamid.FAKE.${conversationKey}.${n}`, conversationKey, kind: 'text', customer: '5511900000001', text: `msg ${n}`, sentAt };
}

interface Batch { key: string; texts: string[]; runId: string }

function setup(options: {
  coalesceWindowMs?: number;
  maxConcurrent?: number;
  fail?: (batch: Batch) => boolean;
  defer?: (batch: Batch) => boolean;
  turnBudget?: () => { concurrency: number; pauseMs: number };
} = {}) {
  const store = new MemoryServiceStore();
  const batches: Batch[] = [];
  let running = 0;
  let maxRunning = 0;
  const started: number[] = [];
  const dispatcher = new ConversationDispatcher({
    store,
    coalesceWindowMs: options.coalesceWindowMs ?? 2000,
    maxConcurrent: options.maxConcurrent ?? 4,
    ...(options.turnBudget ? { turnBudget: options.turnBudget } : {}),
    async process(key, items: InboxRecord[], runId) {
      started.push(Date.now());
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const batch = { key, texts: items.map((i) => i.text), runId };
        if (options.fail?.(batch)) throw new Error('model down');
        if (options.defer?.(batch)) throw new TurnDeferredError(key, 1000, 'its run is being recovered');
        batches.push(batch);
        await store.markInbox(items.map((i) => i.id), 'done', Date.now());
      } finally {
        running--;
      }
    },
  });
  const receive = async (items: InboxItem[]) => {
    for (const record of await store.insertInbox(items, Date.now())) dispatcher.notify(record.conversationKey);
  };
  return { store, dispatcher, batches, receive, maxRunning: () => maxRunning, started };
}

describe('ConversationDispatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('coalesces a burst of messages into one run, in the order the customer sent them', async () => {
    const { dispatcher, batches, receive } = setup();
    await receive([message('c1', 2, 2000)]);
    await vi.advanceTimersByTimeAsync(500);
    await receive([message('c1', 1, 1000)]); // sent earlier, arrived later
    await vi.advanceTimersByTimeAsync(500);
    await receive([message('c1', 3, 3000)]);
    await vi.advanceTimersByTimeAsync(5000);
    await dispatcher.idle();
    expect(batches).toEqual([{ key: 'c1', texts: ['msg 1', 'msg 2', 'msg 3'], runId: expect.any(String) }]);
  });

  it('processes 20 messages of one conversation one run at a time and in send order, whatever the arrival order', async () => {
    const { dispatcher, batches, receive, maxRunning } = setup({ coalesceWindowMs: 50 });
    const order = [7, 3, 15, 0, 19, 11, 4, 8, 1, 16, 12, 5, 18, 9, 2, 13, 6, 17, 10, 14];
    for (const n of order) {
      await receive([message('c1', n, 1000 + n)]);
      await vi.advanceTimersByTimeAsync(40);
    }
    await vi.advanceTimersByTimeAsync(10_000);
    await dispatcher.idle();
    expect(maxRunning()).toBe(1);
    expect(batches.flatMap((b) => b.texts)).toHaveLength(20);
    // Within each run the customer's order holds; across runs, later runs only hold later arrivals.
    for (const batch of batches) {
      const numbers = batch.texts.map((t) => Number(t.split(' ')[1]));
      expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    }
  });

  it('never processes more conversations at once than the bound', async () => {
    const { dispatcher, batches, receive, maxRunning } = setup({ maxConcurrent: 3, coalesceWindowMs: 10 });
    await receive(Array.from({ length: 10 }, (_, i) => message(`c${i}`, 1, 1000)));
    await vi.advanceTimersByTimeAsync(5000);
    await dispatcher.idle();
    expect(batches).toHaveLength(10);
    expect(maxRunning()).toBe(3);
  });

  it('follows a turn budget that changes while it works (acks first), and still finishes every conversation', async () => {
    const budget = { concurrency: 1, pauseMs: 0 };
    const { dispatcher, batches, receive, maxRunning, started } = setup({ maxConcurrent: 8, coalesceWindowMs: 10, turnBudget: () => budget });
    await receive(Array.from({ length: 12 }, (_, i) => message(`c${i}`, 1, 1000)));
    await vi.advanceTimersByTimeAsync(350); // one at a time: 3 done
    expect(maxRunning()).toBe(1);
    budget.pauseMs = 50; // still too slow for the acks: space the turns
    await vi.advanceTimersByTimeAsync(400);
    const spaced = started.slice(4, 6);
    expect(spaced[1]! - spaced[0]!).toBeGreaterThanOrEqual(150);
    budget.pauseMs = 0;
    budget.concurrency = 100; // the acks are quick again; the configured bound still holds
    await vi.advanceTimersByTimeAsync(5000);
    await dispatcher.idle();
    expect(batches).toHaveLength(12);
    expect(maxRunning()).toBeGreaterThan(1);
    expect(maxRunning()).toBeLessThanOrEqual(8);
  });

  it('drops a redelivered message (same provider message id)', async () => {
    const { dispatcher, batches, receive } = setup({ coalesceWindowMs: 10 });
    await receive([message('c1', 1, 1000)]);
    await receive([message('c1', 1, 1000)]);
    await vi.advanceTimersByTimeAsync(1000);
    await dispatcher.idle();
    expect(batches).toEqual([{ key: 'c1', texts: ['msg 1'], runId: expect.any(String) }]);
  });

  it('retries a failed batch with backoff and loses nothing', async () => {
    let failures = 0;
    const { dispatcher, batches, receive } = setup({ coalesceWindowMs: 10, fail: () => failures++ < 2 });
    await receive([message('c1', 1, 1000)]);
    await vi.advanceTimersByTimeAsync(60_000);
    await dispatcher.idle();
    expect(failures).toBe(3);
    expect(batches).toEqual([{ key: 'c1', texts: ['msg 1'], runId: expect.any(String) }]);
  });

  it('picks up at start what a crashed process left, continuing the same run id', async () => {
    const { store, dispatcher, batches } = setup();
    await store.insertInbox([message('c1', 1, 1000), message('c2', 1, 1000)], Date.now());
    await store.takePending('c1', 'run_crashed', Date.now()); // a process took it, then died
    expect(await dispatcher.start()).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    await dispatcher.idle();
    expect(batches.map((b) => [b.key, b.runId === 'run_crashed'])).toEqual(expect.arrayContaining([['c1', true], ['c2', false]]));
  });

  it('resumes a crashed batch with exactly its messages; those acked during it get a turn of their own', async () => {
    const { store, dispatcher, batches } = setup();
    await store.insertInbox([message('c1', 1, 1000)], Date.now());
    await store.takePending('c1', 'run_crashed', Date.now()); // the turn was running…
    await store.insertInbox([message('c1', 2, 2000)], Date.now()); // …when this one was acked; then a kill
    await dispatcher.start();
    await vi.advanceTimersByTimeAsync(5000);
    await dispatcher.idle();
    expect(batches.map((b) => [b.texts, b.runId === 'run_crashed'])).toEqual([[['msg 1'], true], [['msg 2'], false]]);
  });

  it('keeps retrying a failing batch for as long as it fails (capped backoff), then processes it', async () => {
    let failures = 0;
    const { dispatcher, batches, receive } = setup({ coalesceWindowMs: 10, fail: () => failures++ < 12 });
    await receive([message('c1', 1, 1000)]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    await dispatcher.idle();
    expect(failures).toBe(13);
    expect(batches).toEqual([{ key: 'c1', texts: ['msg 1'], runId: expect.any(String) }]);
  });

  it('a deferred turn frees its slot: other conversations run meanwhile', async () => {
    let deferrals = 0;
    const { dispatcher, batches, receive } = setup({ coalesceWindowMs: 10, maxConcurrent: 1, defer: (b) => b.key === 'stuck' && deferrals++ < 5 });
    await receive([message('stuck', 1, 1000)]);
    await vi.advanceTimersByTimeAsync(200);
    await receive([message('fresh', 1, 1000)]);
    await vi.advanceTimersByTimeAsync(400);
    expect(batches.map((b) => b.key)).toEqual(['fresh']);
    await vi.advanceTimersByTimeAsync(10_000);
    await dispatcher.idle();
    expect(batches.map((b) => b.key)).toEqual(['fresh', 'stuck']);
  });
});
