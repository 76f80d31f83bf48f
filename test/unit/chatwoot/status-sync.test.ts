/**
 * Chatwoot's conversation status decides who answers; the one exception is a handoff zapflow made itself,
 * whose `toggle_status` may not have reached Chatwoot yet.
 */
import { describe, expect, it } from 'vitest';
import { ChatwootStatusSync } from '../../../src/chatwoot/status-sync.js';
import { CaseService } from '../../../src/service/cases.js';
import { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { MemoryStorage } from '../../../src/engine/index.js';
import type { ConversationStatus } from '../../../src/webhooks/types.js';

const key = 'chatwoot:3:58';

async function setup() {
  const now = () => 1_773_152_600_000;
  const store = new MemoryServiceStore();
  await store.insertInbox([{ provider: 'chatwoot', messageId: '4821', conversationKey: key, kind: 'text', customer: '5511900000301', text: 'oi', sentAt: now() }], now());
  const storage = new MemoryStorage();
  await storage.init();
  const lifecycle = new ConversationLifecycle(store, now);
  const cases = new CaseService({ storage, store, now });
  const sync = new ChatwootStatusSync({ serviceStore: store, lifecycle, cases, now });
  const status = (value: ConversationStatus['status'], source: ConversationStatus['source'] = 'customer_message'): ConversationStatus =>
    ({ provider: 'chatwoot', conversationKey: key, status: value, source, event: 'message_created', timestamp: now() });
  const handoff = () => store.getConversation(key).then((c) => c?.handoffStatus);
  return { store, lifecycle, cases, sync, status, handoff };
}

describe('ChatwootStatusSync', () => {
  it('open (an agent took it) silences the bot; pending gives it back', async () => {
    const { sync, status, handoff } = await setup();
    await sync.apply([status('open', 'conversation_event')]);
    expect(await handoff()).toBe('human');
    await sync.apply([status('pending')]);
    expect(await handoff()).toBe('bot');
  });

  it('a handoff zapflow made stays with the people while Chatwoot still says pending (the toggle is on its way)', async () => {
    const { sync, status, handoff, lifecycle } = await setup();
    await lifecycle.handoffCreated(key, { protocolNumber: '20260310000001', urgency: 'high', reason: 'security_concern' });
    await sync.apply([status('pending')]);
    expect(await handoff()).toBe('waiting_human');
    await sync.apply([status('open', 'conversation_event'), status('pending')]);
    expect(await handoff()).toBe('bot');
  });

  it('once the handoff\'s toggle reached Chatwoot, a pending is the agent handing back, even if the opened event was lost', async () => {
    const { sync, status, handoff, lifecycle, store } = await setup();
    await lifecycle.handoffCreated(key, { protocolNumber: '20260310000003', urgency: 'medium', reason: 'complex_issue', handoffRef: '20260310000003' });
    await store.recordOwnMessages([{ provider: 'chatwoot', messageId: 'opened:alert:20260310000003:0', conversationKey: key, sentAt: 0 }]);
    await sync.apply([status('pending')]);
    expect(await handoff()).toBe('bot');
  });

  it('a person writing from Chatwoot takes the conversation; resolved closes the case and gives it back to the bot', async () => {
    const { sync, status, handoff, cases, store } = await setup();
    const opened = await cases.current(key);
    await sync.apply([status('pending', 'agent_message')]);
    expect(await handoff()).toBe('human');
    await sync.apply([status('resolved', 'conversation_event')]);
    expect(await handoff()).toBe('bot');
    expect(await store.cases.openCaseOf(key)).toBeUndefined();
    expect((await store.cases.casesOf(key, 1))[0]).toMatchObject({ id: opened.id, status: 'resolved', resolvedBy: 'chatwoot' });
  });

  it('a status about a conversation zapflow never stored a message of is ignored', async () => {
    const { sync, store } = await setup();
    await sync.apply([{ provider: 'chatwoot', conversationKey: 'chatwoot:3:999', status: 'open', source: 'conversation_event', event: 'conversation_opened', timestamp: 0 }]);
    expect(await store.getConversation('chatwoot:3:999')).toBeUndefined();
  });
});
