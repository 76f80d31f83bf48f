/**
 * Replies reach Chatwoot once per outbox row: a row delivered again (its claim expired after a crash, or its
 * delivered mark was lost) finds the earlier post and does not repeat it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatwootApi } from '../../../src/chatwoot/api.js';
import { ChatwootDelivery } from '../../../src/chatwoot/deliverers.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { MemoryStorage, type OutboxRecord } from '../../../src/engine/index.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import { Outbox } from '../../../src/service/outbox.js';
import { loadWorkflowConfig } from '../../../src/workflows/config.js';
import { FAKE_CHATWOOT, startFakeChatwoot, type FakeChatwoot } from '../../helpers/fake-chatwoot.js';

let fake: FakeChatwoot;
beforeAll(async () => {
  fake = await startFakeChatwoot();
  fake.connectBot('http://127.0.0.1:9/unused');
});
afterAll(async () => fake.stop());

function row(key: string, attempts: number, conversationKey: string): OutboxRecord {
  return { id: 1, key, topic: 'customer_message', payload: { conversationKey, text: 'Seu Pix aparece em até 30 minutos.' }, status: 'delivering', attempts, nextAttemptAt: 0, createdAt: 0, updatedAt: 0 };
}

describe('ChatwootDelivery', () => {
  it('posts once per row key, even when the row is delivered again', async () => {
    const conversation = fake.newConversation({ name: 'Maria Exemplo', phone: '+5511900000501' });
    const key = `chatwoot:${conversation.accountId}:${conversation.id}`;
    const storage = new MemoryStorage();
    await storage.init();
    const delivery = new ChatwootDelivery({
      api: new ChatwootApi({ baseUrl: fake.baseUrl, botToken: FAKE_CHATWOOT.botToken }),
      ...writers(storage), serviceStore: new MemoryServiceStore(), taxonomy: defaultTaxonomy(),
    });
    const deliverer = delivery.customerMessage();
    const first = await deliverer.deliver(row('run-1/reply', 1, key));
    const again = await deliverer.deliver(row('run-1/reply', 2, key));
    expect(first).toMatchObject({ messageId: expect.any(String) });
    expect(again).toEqual({ alreadyPosted: true });
    expect(fake.botMessages(conversation)).toHaveLength(1);
    await fake.idle();
  });

  it('a refusal retrying cannot fix is not retryable; an outage is', async () => {
    const conversation = fake.newConversation({ name: 'Maria Exemplo', phone: '+5511900000502' });
    const storage = new MemoryStorage();
    await storage.init();
    const wrongToken = new ChatwootDelivery({ api: new ChatwootApi({ baseUrl: fake.baseUrl, botToken: 'not-the-token' }), ...writers(storage), serviceStore: new MemoryServiceStore(), taxonomy: defaultTaxonomy() });
    const key = `chatwoot:${conversation.accountId}:${conversation.id}`;
    await expect(wrongToken.customerMessage().deliver(row('k1', 1, key))).rejects.toMatchObject({ code: 'CHATWOOT_AUTH', retryable: false });
    fake.failNext = 1;
    const right = new ChatwootDelivery({ api: new ChatwootApi({ baseUrl: fake.baseUrl, botToken: FAKE_CHATWOOT.botToken }), ...writers(storage), serviceStore: new MemoryServiceStore(), taxonomy: defaultTaxonomy() });
    await expect(right.customerMessage().deliver(row('k2', 1, key))).rejects.toMatchObject({ code: 'CHATWOOT_UNAVAILABLE', retryable: true });
    const unreachable = new ChatwootDelivery({ api: new ChatwootApi({ baseUrl: 'http://127.0.0.1:9', botToken: FAKE_CHATWOOT.botToken }), ...writers(storage), serviceStore: new MemoryServiceStore(), taxonomy: defaultTaxonomy() });
    await expect(unreachable.customerMessage().deliver(row('k3', 1, key))).rejects.toMatchObject({ code: 'CHATWOOT_UNREACHABLE', retryable: true });
    expect(fake.botMessages(conversation)).toEqual([]);
  });

  it('the conversation opens after the handoff note, but never waits for it more than a few tries', async () => {
    const conversation = fake.newConversation({ name: 'Maria Exemplo', phone: '+5511900000503' });
    const key = `chatwoot:${conversation.accountId}:${conversation.id}`;
    const storage = new MemoryStorage();
    await storage.init();
    const delivery = new ChatwootDelivery({ api: new ChatwootApi({ baseUrl: fake.baseUrl, botToken: FAKE_CHATWOOT.botToken }), ...writers(storage), serviceStore: new MemoryServiceStore(), taxonomy: defaultTaxonomy() });
    const open = (attempts: number): OutboxRecord => ({
      id: 2, key: 'alert:P1:0/chatwoot:open', topic: 'chatwoot_action', payload: { action: 'open', conversationKey: key, afterNote: 'alert:P1:0/chatwoot:note' },
      status: 'delivering', attempts, nextAttemptAt: 0, createdAt: 0, updatedAt: 0,
    });
    await expect(delivery.action().deliver(open(1))).rejects.toMatchObject({ code: 'CHATWOOT_NOTE_PENDING', retryable: true });
    expect(conversation.status).toBe('pending');
    await delivery.action().deliver(open(4));
    expect(conversation.status).toBe('open');
    await fake.idle();
  });
});

/** The storage the deliverers read, the outbox writer over it, and the Router's thresholds for the report. */
function writers(storage: MemoryStorage) {
  return { storage, outbox: new Outbox({ storage }), confidenceThresholds: loadWorkflowConfig('conversation-typification').confidence };
}
