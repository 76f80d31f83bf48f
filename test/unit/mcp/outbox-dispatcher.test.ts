/**
 * The outbox dispatcher on MemoryStorage with a hand-moved clock: delivery per topic with the row key,
 * backoff with jitter, dead rows (non-retryable or too many attempts) and their retry, per-conversation order,
 * kick, and a stop that waits for deliveries under way.
 */
import { describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../../../src/service/outbox-dispatcher.js';
import type { OutboxDeliverer } from '../../../src/service/outbox-dispatcher.js';
import { whatsAppDeliverers } from '../../../src/service/outbox-deliverers.js';
import { OUTBOX_TOPICS, effects, outboxMessageOf } from '../../../src/service/outbox.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import type { OutboxRecord } from '../../../src/engine/storage/types.js';
import type { AgentAlert, CustomerMessenger, Notifier } from '../../../src/service/ports.js';
import { ManualClock } from '../../helpers/mcp-clock.js';

class Failure extends Error {
  constructor(readonly code: string, readonly retryable: boolean) {
    super(`${code} happened`);
  }
}

/** Records deliveries; `failures` are thrown for the first N calls. */
function recordingDeliverer(failures: Failure[] = []): OutboxDeliverer & { delivered: OutboxRecord[] } {
  const delivered: OutboxRecord[] = [];
  return {
    delivered,
    orderingKey: (row) => String((row.payload as { conversationKey?: string }).conversationKey ?? row.key),
    async deliver(row) {
      const failure = failures.shift();
      if (failure) throw failure;
      delivered.push(row);
      return { messageId: `wamid.${row.key}` };
    },
  };
}

async function setup(deliverer: OutboxDeliverer, options: { maxAttempts?: number; retryForMs?: number; available?: () => boolean } = {}) {
  const storage = new MemoryStorage();
  const clock = new ManualClock();
  const dispatcher = new OutboxDispatcher({
    storage, clock, deliverers: { [OUTBOX_TOPICS.customerMessage]: deliverer }, random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 60_000 }, owner: 'test-owner', ...options,
  });
  const enqueue = (key: string, conversationKey = 'c1', text = `texto ${key}`) =>
    storage.enqueueOutbox([outboxMessageOf(effects.toCustomer(key, conversationKey, text))], clock.now());
  return { storage, clock, dispatcher, enqueue };
}

describe('OutboxDispatcher', () => {
  it('delivers each row once with its key and keeps what the deliverer returned', async () => {
    const deliverer = recordingDeliverer();
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer);
    await enqueue('run-1/reply');
    await enqueue('run-1/reply'); // the same key again (a resumed step): ignored by the outbox
    await storage.enqueueOutbox([{ key: 'other', topic: 'email', payload: {} }], clock.now());
    expect(await dispatcher.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    expect(deliverer.delivered.map((row) => row.key)).toEqual(['run-1/reply']);
    const [row] = await storage.listOutbox({ status: 'delivered' });
    expect(row).toMatchObject({ key: 'run-1/reply', attempts: 1, result: { messageId: 'wamid.run-1/reply' } });
    expect(await storage.listOutbox({ status: 'pending' })).toMatchObject([{ topic: 'email' }]);
  });

  it('backs off exponentially (with jitter) after retryable failures, then delivers', async () => {
    const deliverer = recordingDeliverer([new Failure('RATE_LIMITED', true), new Failure('PROVIDER_UNAVAILABLE', true)]);
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer);
    await enqueue('k');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    const [afterFirst] = await storage.listOutbox({});
    // attempt 1: nominal 1000 ms, equal jitter with random 0.5 → 750 ms.
    expect(afterFirst).toMatchObject({ status: 'pending', attempts: 1, nextAttemptAt: clock.now() + 750, lastError: '[RATE_LIMITED] RATE_LIMITED happened' });
    clock.advance(749);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock.advance(1);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    expect((await storage.listOutbox({}))[0]?.nextAttemptAt).toBe(clock.now() + 1500);
    clock.advance(1500);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect((await storage.listOutbox({}))[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('makes a row dead at once on a non-retryable error; an admin retry delivers it', async () => {
    const deliverer = recordingDeliverer([new Failure('INVALID_RECIPIENT', false)]);
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer);
    await enqueue('k');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 1 });
    const [dead] = await storage.listOutbox({ status: 'dead' });
    expect(dead).toMatchObject({ key: 'k', attempts: 1, lastError: '[INVALID_RECIPIENT] INVALID_RECIPIENT happened' });
    expect(await storage.retryOutbox(dead?.id as number, clock.now())).toBe(true);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
  });

  it('gives up after maxAttempts retryable failures', async () => {
    const deliverer = recordingDeliverer(Array.from({ length: 10 }, () => new Failure('PROVIDER_TIMEOUT', true)));
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer, { maxAttempts: 3 });
    await enqueue('k');
    const outcomes = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(await dispatcher.drain());
      clock.advance(60_000);
    }
    expect(outcomes.map((o) => o.dead)).toEqual([0, 0, 1, 0]);
    expect(await storage.listOutbox({ status: 'dead' })).toMatchObject([{ attempts: 3 }]);
  });

  it('keeps retrying an outage of hours far past 8 attempts (the budget is the age of the row)', async () => {
    const outage = () => new Failure('MCP_CONNECT_FAILED', true);
    const deliverer = recordingDeliverer(Array.from({ length: 1000 }, outage));
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer, { retryForMs: 24 * 3_600_000 });
    await enqueue('fraud-alert');
    // Four hours of outage with the backoff capped at one minute: ~240 attempts, none fatal.
    let dead = 0;
    for (let minute = 0; minute < 4 * 60; minute++) {
      dead += (await dispatcher.drain()).dead;
      clock.advance(60_000);
    }
    expect(dead).toBe(0);
    const [row] = await storage.listOutbox({});
    expect(row?.attempts).toBeGreaterThan(100);
    expect(row?.status).toBe('pending');
  });

  it('makes a row dead once it is older than retryForMs, however few attempts it had', async () => {
    const deliverer = recordingDeliverer([new Failure('MCP_TIMEOUT', true), new Failure('MCP_TIMEOUT', true)]);
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer, { retryForMs: 3_600_000 });
    await enqueue('k');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 1, dead: 0 });
    clock.advance(3_600_000);
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 1 });
    expect(await storage.listOutbox({ status: 'dead' })).toMatchObject([{ attempts: 2 }]);
  });

  it('claims nothing while the way out is unavailable, and delivers on the first round after', async () => {
    const deliverer = recordingDeliverer();
    let available = false;
    const { storage, dispatcher, enqueue } = await setup(deliverer, { available: () => available });
    await enqueue('k');
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    expect(await storage.listOutbox({})).toMatchObject([{ status: 'pending', attempts: 0 }]);
    available = true;
    expect(await dispatcher.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
  });

  it('revives rows an outage made dead (by the old attempt count) while they are young enough; others stay dead', async () => {
    const deliverer = recordingDeliverer([new Failure('MCP_CONNECT_FAILED', true), new Failure('INVALID_RECIPIENT', false)]);
    const { storage, dispatcher, enqueue, clock } = await setup(deliverer, { maxAttempts: 1, retryForMs: 3_600_000 });
    await enqueue('outage', 'c1');
    await enqueue('bad-number', 'c2');
    expect((await dispatcher.drain()).dead).toBe(2);
    const revive = new OutboxDispatcher({ storage, clock, deliverers: { [OUTBOX_TOPICS.customerMessage]: deliverer }, retryForMs: 3_600_000 });
    expect(await revive.reviveDead(/^\[MCP_CONNECT_FAILED\]/)).toBe(1);
    expect(await revive.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(await storage.listOutbox({ status: 'dead' })).toMatchObject([{ key: 'bad-number' }]);
  });

  it('keeps its claim alive with a heartbeat while delivering; a dead process\'s row is taken over within the short claim', async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const flush = () => new Promise((resolve) => setImmediate(resolve));
    let alive = true;
    // The first process's storage stops answering its heartbeats when it "dies".
    const firstStorage = Object.assign(Object.create(storage) as MemoryStorage, {
      extendOutboxClaims: (owner: string, ids: number[], until: number) => (alive ? storage.extendOutboxClaims(owner, ids, until) : new Promise<void>(() => {})),
    });
    const hanging: OutboxDeliverer = { deliver: () => new Promise(() => {}) };
    const first = new OutboxDispatcher({ storage: firstStorage, clock, deliverers: { [OUTBOX_TOPICS.customerMessage]: hanging }, owner: 'first' });
    const second = new OutboxDispatcher({ storage, clock, deliverers: { [OUTBOX_TOPICS.customerMessage]: recordingDeliverer() }, owner: 'second' });
    await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer('slow', 'c', 'oi'))], clock.now());
    void first.drain(); // never finishes: its delivery hangs
    await flush();
    for (let second_ = 0; second_ < 60; second_ += 5) {
      clock.advance(5_000);
      await flush();
      expect(await second.drain()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    }
    alive = false; // killed: no more heartbeats
    let takenOverAfter = 0;
    while ((await second.drain()).delivered === 0) {
      clock.advance(1_000);
      takenOverAfter += 1_000;
      await flush();
      expect(takenOverAfter).toBeLessThanOrEqual(20_000); // the 15 s claim from the last heartbeat, not 120 s
    }
    expect(await storage.listOutbox({ status: 'delivered' })).toMatchObject([{ key: 'slow', claimedBy: 'second' }]);
  });

  it('delivers one conversation in order and different conversations side by side', async () => {
    const deliverer = recordingDeliverer();
    const { dispatcher, enqueue } = await setup(deliverer);
    for (let i = 1; i <= 4; i++) {
      await enqueue(`a${i}`, 'conversation-a');
      await enqueue(`b${i}`, 'conversation-b');
    }
    await dispatcher.drain();
    const order = deliverer.delivered.map((row) => row.key);
    expect(order.filter((k) => k.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(order.filter((k) => k.startsWith('b'))).toEqual(['b1', 'b2', 'b3', 'b4']);
  });

  it('a conversation\'s queued rows all go out back to back when a claim takes one row per conversation (Postgres)', async () => {
    // PostgresStorage claims only the first undelivered row of each conversation, so several processes never send
    // a conversation's messages out of order; its later rows must not wait a poll interval each.
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const firstOfEachConversation: MemoryStorage['claimOutbox'] = async (owner, claimExpiresAt, now, limit, topics) => {
      const claimed = await storage.claimOutbox(owner, claimExpiresAt, now, limit, topics);
      const seen = new Set<string>();
      const kept: OutboxRecord[] = [];
      for (const row of claimed) {
        const conversation = String((row.payload as { conversationKey?: string }).conversationKey);
        if (seen.has(conversation)) await storage.markOutboxFailed(row.id, owner, 'left for the next round', now, false, now);
        else kept.push(row);
        seen.add(conversation);
      }
      return kept;
    };
    const deliverer = recordingDeliverer();
    const dispatcher = new OutboxDispatcher({
      storage: {
        claimOutbox: firstOfEachConversation, claimsFirstOfEachConversation: true,
        markOutboxDelivered: storage.markOutboxDelivered.bind(storage), markOutboxFailed: storage.markOutboxFailed.bind(storage),
      },
      clock, pollIntervalMs: 3_600_000, deliverers: { [OUTBOX_TOPICS.customerMessage]: deliverer },
    });
    for (let i = 1; i <= 5; i++) await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer(`forward-${i}`, 'waiting-customer', `mensagem ${i}`))], clock.now());
    dispatcher.start();
    for (let round = 0; round < 20 && deliverer.delivered.length < 5; round++) {
      clock.advance(0); // rounds due now run; the poll interval (an hour) never passes
      await new Promise((resolve) => setImmediate(resolve));
    }
    await dispatcher.stop();
    expect(deliverer.delivered.map((row) => row.key)).toEqual(['forward-1', 'forward-2', 'forward-3', 'forward-4', 'forward-5']);
  });

  it('kick() delivers right after a commit without waiting for the poll', async () => {
    let delivered: (row: OutboxRecord) => void = () => {};
    const arrived = new Promise<OutboxRecord>((resolve) => (delivered = resolve));
    const storage = new MemoryStorage();
    const dispatcher = new OutboxDispatcher({
      storage, pollIntervalMs: 3_600_000,
      deliverers: { [OUTBOX_TOPICS.customerMessage]: { deliver: async (row) => delivered(row) } },
    });
    dispatcher.start();
    await dispatcher.drain(); // the first, immediate poll found nothing
    await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer('now', 'c', 'oi'))], Date.now());
    dispatcher.kick();
    expect((await arrived).key).toBe('now');
    await dispatcher.stop();
  });

  it('with kickDelayMs, the replies of turns that finish within the delay go out in one round (one claim)', async () => {
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    let claims = 0;
    const claimOutbox: MemoryStorage['claimOutbox'] = (...args) => {
      claims++;
      return storage.claimOutbox(...args);
    };
    const deliverer = recordingDeliverer();
    const dispatcher = new OutboxDispatcher({
      storage: { claimOutbox, markOutboxDelivered: storage.markOutboxDelivered.bind(storage), markOutboxFailed: storage.markOutboxFailed.bind(storage) },
      clock, pollIntervalMs: 3_600_000, kickDelayMs: 20, deliverers: { [OUTBOX_TOPICS.customerMessage]: deliverer },
    });
    dispatcher.start();
    clock.advance(0); // the first round, at start: nothing to deliver
    await dispatcher.drain();
    const before = claims;
    // Three turns finish 0, 5 and 15 ms into the delay, each kicking: the later kicks do not postpone the round.
    for (const [key, afterMs] of [['turn-1', 0], ['turn-2', 5], ['turn-3', 10]] as const) {
      clock.advance(afterMs);
      await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer(key, key, 'Seu protocolo é …'))], clock.now());
      dispatcher.kick();
    }
    expect(deliverer.delivered).toHaveLength(0);
    clock.advance(5); // 20 ms after the first kick
    await dispatcher.stop();
    expect(deliverer.delivered.map((row) => row.key).sort()).toEqual(['turn-1', 'turn-2', 'turn-3']);
    expect(claims - before).toBe(1);
  });

  it('stop() waits for the delivery under way and records it', async () => {
    let release: () => void = () => {};
    let entered: () => void = () => {};
    const inDelivery = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const storage = new MemoryStorage();
    const dispatcher = new OutboxDispatcher({
      storage,
      deliverers: { [OUTBOX_TOPICS.customerMessage]: { deliver: async () => { entered(); await gate; return { messageId: 'wamid.slow' }; } } },
    });
    await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer('slow', 'c', 'oi'))], Date.now());
    dispatcher.start();
    await inDelivery;
    let stopped = false;
    const stopping = dispatcher.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(await storage.listOutbox({ status: 'delivered' })).toMatchObject([{ key: 'slow', result: { messageId: 'wamid.slow' } }]);
  });

  it('routes WhatsApp topics to the notifier and the messenger, and kills a malformed payload at once', async () => {
    const alerts: Array<[AgentAlert, string]> = [];
    const replies: string[][] = [];
    const notifier: Notifier = { sendAgentAlert: async (alert, key) => (alerts.push([alert, key]), { deliveries: [] }) };
    const messenger: CustomerMessenger = { sendToCustomer: async (conversationKey, text, key) => (replies.push([conversationKey, text, key]), { messageId: 'm' }) };
    const storage = new MemoryStorage();
    const clock = new ManualClock();
    const dispatcher = new OutboxDispatcher({ storage, clock, deliverers: whatsAppDeliverers({ notifier, messenger }) });
    const alert: AgentAlert = { protocolNumber: '2026000123', conversationKey: 'c', urgency: 'high', reason: 'cliente pediu humano', text: 'Novo atendimento' };
    await storage.enqueueOutbox([
      { key: 'run/alert', topic: OUTBOX_TOPICS.agentAlert, payload: alert },
      outboxMessageOf(effects.toCustomer('run/reply', 'c', 'Seu protocolo é 2026000123')),
      { key: 'run/broken', topic: OUTBOX_TOPICS.customerMessage, payload: { conversationKey: 'c' } },
    ], clock.now());
    expect(await dispatcher.drain()).toEqual({ delivered: 2, retried: 0, dead: 1 });
    expect(alerts).toEqual([[alert, 'run/alert']]);
    expect(replies).toEqual([['c', 'Seu protocolo é 2026000123', 'run/reply']]);
    expect((await storage.listOutbox({ status: 'dead' }))[0]?.lastError).toContain('OUTBOX_PAYLOAD_INVALID');
  });

  it('refuses nonsense options at construction', () => {
    const storage = new MemoryStorage();
    expect(() => new OutboxDispatcher({ storage, deliverers: {} })).toThrow(/at least one deliverer/);
    expect(() => new OutboxDispatcher({ storage, deliverers: { t: recordingDeliverer() }, maxAttempts: 0 })).toThrow(/maxAttempts/);
  });
});
