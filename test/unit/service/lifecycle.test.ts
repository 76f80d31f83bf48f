import { describe, expect, it } from 'vitest';
import { ConversationLifecycle, InvalidTransitionError } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { ConversationNotFoundError } from '../../../src/conversations/store/types.js';

async function setup() {
  let now = 1_000_000;
  const store = new MemoryServiceStore();
  await store.insertInbox([{ provider: 'meta', messageId: 'wamid.FAKE.1', conversationKey: 'c1', kind: 'text', customer: '5511900000001', text: 'oi', sentAt: now }], now);
  const lifecycle = new ConversationLifecycle(store, () => now);
  return { store, lifecycle, advance: (ms: number) => (now += ms) };
}

describe('ConversationLifecycle', () => {
  it('walks bot → waiting_human → human → bot', async () => {
    const { store, lifecycle } = await setup();
    expect((await store.getConversation('c1'))?.handoffStatus).toBe('bot');
    await lifecycle.handoffCreated('c1', { protocolNumber: '20261125000001', urgency: 'high', reason: 'explicit_request' });
    expect(await store.getConversation('c1')).toMatchObject({ handoffStatus: 'waiting_human', protocolNumber: '20261125000001', urgency: 'high', realerts: 0 });
    await lifecycle.claim('c1', 'ana');
    expect(await store.getConversation('c1')).toMatchObject({ handoffStatus: 'human', assignedAgent: 'ana' });
    const released = await lifecycle.release('c1');
    expect(released.handoffStatus).toBe('bot');
    expect(released.protocolNumber).toBeUndefined();
    expect(released.assignedAgent).toBeUndefined();
  });

  it('an agent replying from WhatsApp takes the conversation', async () => {
    const { lifecycle } = await setup();
    await lifecycle.handoffCreated('c1', { protocolNumber: '20261125000001', urgency: 'medium', reason: 'complex_issue' });
    expect((await lifecycle.agentReplied('c1')).handoffStatus).toBe('human');
  });

  it('refuses to release a conversation the bot already has, and unknown conversations', async () => {
    const { lifecycle } = await setup();
    await expect(lifecycle.release('c1')).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(lifecycle.claim('nope', 'ana')).rejects.toBeInstanceOf(ConversationNotFoundError);
  });

  it('raises urgency every N re-alerts', async () => {
    const { lifecycle } = await setup();
    await lifecycle.handoffCreated('c1', { protocolNumber: 'p', urgency: 'medium', reason: 'complex_issue' });
    expect((await lifecycle.realerted('c1', 2)).urgency).toBe('medium');
    expect(await lifecycle.realerted('c1', 2)).toMatchObject({ realerts: 2, urgency: 'high' });
  });

  it('gives idle human conversations back to the bot', async () => {
    const { lifecycle, advance, store } = await setup();
    await lifecycle.claim('c1', 'ana');
    advance(30 * 60_000);
    expect(await lifecycle.releaseIdle(60 * 60_000)).toEqual([]);
    advance(31 * 60_000);
    expect(await lifecycle.releaseIdle(60 * 60_000)).toEqual(['c1']);
    expect((await store.getConversation('c1'))?.handoffStatus).toBe('bot');
  });

  it('a handoff created after an agent claimed the conversation leaves it with the agent', async () => {
    const { store, lifecycle } = await setup();
    await lifecycle.claim('c1', 'ana');
    const after = await lifecycle.handoffCreated('c1', { protocolNumber: '20261125000002', urgency: 'high', reason: 'explicit_request' });
    expect(after).toMatchObject({ handoffStatus: 'human', assignedAgent: 'ana' });
    expect((await store.getConversation('c1'))?.protocolNumber).toBeUndefined();
  });

  it('a handoff replayed after a crash keeps the first protocol and its SLA clock', async () => {
    const { store, lifecycle, advance } = await setup();
    await lifecycle.handoffCreated('c1', { protocolNumber: '20261125000003', urgency: 'high', reason: 'explicit_request' });
    const first = await store.getConversation('c1');
    advance(5000);
    await lifecycle.handoffCreated('c1', { protocolNumber: '20261125000003', urgency: 'high', reason: 'explicit_request' });
    expect(await store.getConversation('c1')).toEqual(first);
  });

  it('counts every one of many concurrent re-alerts', async () => {
    const { store, lifecycle } = await setup();
    await lifecycle.handoffCreated('c1', { protocolNumber: 'p', urgency: 'low', reason: 'complex_issue' });
    await Promise.all(Array.from({ length: 8 }, () => lifecycle.realerted('c1', 100)));
    expect((await store.getConversation('c1'))?.realerts).toBe(8);
  });

  it('an idle release does not undo an agent who acted after the listing', async () => {
    const { store, lifecycle, advance } = await setup();
    await lifecycle.claim('c1', 'ana');
    advance(3 * 3600_000);
    // The agent replies while the idle job is between its listing and its write.
    const realList = store.listConversations.bind(store);
    store.listConversations = async (filter) => {
      const listed = await realList(filter);
      advance(1);
      await lifecycle.agentReplied('c1', 'ana');
      return listed;
    };
    expect(await lifecycle.releaseIdle(3600_000)).toEqual([]);
    expect((await store.getConversation('c1'))?.handoffStatus).toBe('human');
  });

  it('behind Chatwoot neither the idle release nor the wait expiry moves a conversation: Chatwoot\'s status decides', async () => {
    let now = 1_000_000;
    const store = new MemoryServiceStore();
    for (const key of ['chatwoot:3:58', 'chatwoot:3:59']) {
      await store.insertInbox([{ provider: 'chatwoot', messageId: `m-${key}`, conversationKey: key, kind: 'text', customer: '5511900000001', text: 'oi', sentAt: now }], now);
    }
    const lifecycle = new ConversationLifecycle(store, () => now);
    await lifecycle.agentReplied('chatwoot:3:58', 'chatwoot');
    await lifecycle.handoffCreated('chatwoot:3:59', { protocolNumber: '20260310000002', urgency: 'low', reason: 'complex_issue' });
    now += 30 * 24 * 3600_000;
    expect(await lifecycle.releaseIdle(3600_000)).toEqual([]);
    expect(await lifecycle.expireWaiting(3600_000)).toEqual([]);
    expect((await store.getConversation('chatwoot:3:58'))?.handoffStatus).toBe('human');
    expect((await store.getConversation('chatwoot:3:59'))?.handoffStatus).toBe('waiting_human');
  });
});
