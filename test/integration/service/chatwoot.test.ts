/**
 * zapflow as a Chatwoot Agent Bot, end to end over real HTTP on 127.0.0.1: a fake Chatwoot (its API and its
 * callbacks to the bot's Outgoing URL) in front of a real zapflow service. What a Chatwoot user would see is
 * read back from the fake's conversations: the bot's replies, private notes, labels, priority, status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHATWOOT_PRIORITY, chatwootLabel } from '../../../src/chatwoot/handoff-report.js';
import { loadSelfServiceContent } from '../../../src/service/replies.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import { readConversationState } from '../../../src/workflows/session-state.js';
import { PROTOCOL_PATTERN } from '../../../src/workflows/shared/protocol.js';
import { FAKE_CHATWOOT, startFakeChatwoot, type FakeChatwoot, type FakeConversation } from '../../helpers/fake-chatwoot.js';
import { startService, type TestService } from '../../helpers/service.js';
import { waitUntil } from '../../helpers/wait.js';

const WEBHOOK_TOKEN = 'outgoing-url-secret-0123456789';
const content = loadSelfServiceContent();
const answers = new Set(Object.values(content.answers));
const questions = new Set([...Object.values(content.clarifyingQuestions), content.fallbackQuestion]);
const FRAUD = 'alguém fez 3 compras no meu cartão que eu não reconheço, clonaram meu cartão!';

function chatwootEnv(fake: FakeChatwoot, extra: Record<string, string> = {}): Record<string, string> {
  return { CHATWOOT_URL: fake.baseUrl, CHATWOOT_BOT_TOKEN: FAKE_CHATWOOT.botToken, CHATWOOT_WEBHOOK_TOKEN: WEBHOOK_TOKEN, ...extra };
}

const keyOf = (conversation: FakeConversation) => `chatwoot:${conversation.accountId}:${conversation.id}`;

describe('behind Chatwoot (agent bot)', () => {
  let fake: FakeChatwoot;
  let service: TestService;

  /** Everything zapflow owes is delivered, and Chatwoot's callbacks about it have been answered. */
  async function settle(): Promise<void> {
    for (let round = 0; round < 3; round++) {
      await service.app.settle();
      await fake.idle();
    }
  }

  beforeAll(async () => {
    fake = await startFakeChatwoot();
    service = await startService(chatwootEnv(fake));
    fake.connectBot(`${service.url}/webhooks/chatwoot/${WEBHOOK_TOKEN}`);
  });
  afterAll(async () => {
    await service?.stop();
    await fake?.stop();
  });

  it('answers a customer\'s question in the Chatwoot conversation, as the bot, and leaves it pending', async () => {
    const conversation = fake.newConversation({ name: 'Maria Exemplo', phone: '+5511900000401' });
    expect((await fake.customerWrites(conversation, 'como faço para cadastrar uma chave pix aleatória?')).status).toBe(200);
    await settle();
    const replies = fake.botMessages(conversation, { private: false });
    expect(replies).toHaveLength(1);
    expect(answers.has(replies[0]!.content!)).toBe(true);
    expect(conversation.status).toBe('pending');
    expect(fake.violations).toEqual([]);
    expect((await service.app.serviceStore.getConversation(keyOf(conversation)))?.handoffStatus).toBe('bot');
  });

  describe('an escalation', () => {
    let conversation: FakeConversation;
    let protocol: string;

    it('reaches the agents as an open conversation with a private note, labels and priority; the customer gets the protocol', async () => {
      conversation = fake.newConversation({ name: 'Joana Teste', phone: '+5511900000402' });
      await fake.customerWrites(conversation, FRAUD);
      await settle();

      const record = await service.app.serviceStore.getConversation(keyOf(conversation));
      protocol = record?.protocolNumber ?? '';
      expect(protocol).toMatch(PROTOCOL_PATTERN);
      // The customer: the protocol and the wait, in the thread.
      const replies = fake.botMessages(conversation, { private: false });
      expect(replies).toHaveLength(1);
      expect(replies[0]!.content).toContain(protocol);
      // The agents: the conversation open, a note with the report, labels from the typification, the priority.
      expect(conversation.status).toBe('open');
      const notes = fake.botMessages(conversation, { private: true });
      expect(notes).toHaveLength(1);
      const note = notes[0]!.content!;
      for (const line of [`Protocolo: ${protocol}`, 'Tipificação: ', 'Confiança: ', 'Motivo do encaminhamento: ', 'Urgência: ', 'Emoção do cliente: ', 'Joana Teste']) {
        expect(note).toContain(line);
      }
      const state = readConversationState((await service.app.storage.getSession(keyOf(conversation)))?.state);
      const taxonomy = defaultTaxonomy();
      const path = state.typification!.path;
      expect(conversation.labels).toEqual([path.businessUnit, path.product, path.motive].map((id) => chatwootLabel(taxonomy.label(id))));
      expect(conversation.labels.every((label) => /^[a-z0-9_-]+$/.test(label))).toBe(true);
      expect(conversation.priority).toBe(CHATWOOT_PRIORITY[record!.urgency!]);
      // Chatwoot reported it open: zapflow follows, and nothing went to WhatsApp alert numbers.
      expect(record?.handoffStatus === 'waiting_human' || record?.handoffStatus === 'human').toBe(true);
      expect((await service.app.serviceStore.getConversation(keyOf(conversation)))?.handoffStatus).toBe('human');
      expect(await service.sent()).toEqual([]);
      expect(fake.violations).toEqual([]);
    });

    it('while an agent has it open the bot is silent: the message is stored, nothing is posted', async () => {
      expect((await fake.customerWrites(conversation, 'por favor me ajudem rápido')).status).toBe(200);
      await settle();
      expect(fake.botMessages(conversation)).toHaveLength(2); // the protocol message and the note, nothing more
      const stored = await service.app.serviceStore.recentMessages(keyOf(conversation), 20);
      expect(stored.some((item) => item.text === 'por favor me ajudem rápido' && item.status === 'forwarded')).toBe(true);
      // A person writing from Chatwoot changes nothing either.
      expect(await fake.agentReplies(conversation, 'Oi Joana, aqui é a Ana. Já bloqueei o cartão.')).toBe(200);
      await settle();
      expect(fake.botMessages(conversation)).toHaveLength(2);
    });

    it('handed back to the bot (pending), the bot answers again in the same case', async () => {
      await fake.agentSetsStatus(conversation, 'pending');
      await fake.customerWrites(conversation, 'agora quero saber como aumentar o limite do cartão');
      await settle();
      const replies = fake.botMessages(conversation, { private: false });
      expect(replies).toHaveLength(2);
      expect(answers.has(replies[1]!.content!) || questions.has(replies[1]!.content!)).toBe(true);
      expect((await service.app.serviceStore.getConversation(keyOf(conversation)))?.handoffStatus).toBe('bot');
      const openCase = await service.app.serviceStore.cases.openCaseOf(keyOf(conversation));
      expect(openCase?.protocolNumber).toBe(protocol);
    });

    it('resolved in Chatwoot, the case closes: the next message is a new problem with a new protocol', async () => {
      await fake.agentSetsStatus(conversation, 'resolved');
      expect(await service.app.serviceStore.cases.openCaseOf(keyOf(conversation))).toBeUndefined();
      await fake.customerWrites(conversation, 'oi, bom dia');
      await settle();
      const next = await service.app.serviceStore.cases.openCaseOf(keyOf(conversation));
      expect(next?.protocolNumber).toMatch(PROTOCOL_PATTERN);
      expect(next?.protocolNumber).not.toBe(protocol);
      expect(fake.botMessages(conversation, { private: false })).toHaveLength(3);
    });
  });

  it('a redelivered event is stored and answered once', async () => {
    const conversation = fake.newConversation({ name: 'Carlos Teste', phone: '+5511900000403' });
    const first = await fake.customerWrites(conversation, 'quero ver o extrato do mês passado');
    expect(await fake.redeliver(first.payload)).toBe(200);
    expect(await fake.redeliver(first.payload)).toBe(200);
    await settle();
    expect(fake.botMessages(conversation)).toHaveLength(1);
    const stored = await service.app.serviceStore.recentMessages(keyOf(conversation), 20);
    expect(stored.filter((item) => item.kind === 'text')).toHaveLength(1);
  });

  it('a Chatwoot API that fails delays the reply, never loses it: retried from the outbox, posted once', async () => {
    const conversation = fake.newConversation({ name: 'Paula Teste', phone: '+5511900000404' });
    fake.failNext = 2;
    await fake.customerWrites(conversation, 'como faço para cadastrar uma chave pix aleatória?');
    await service.app.settle();
    const replies = await waitUntil(() => {
      const posted = fake.botMessages(conversation, { private: false });
      return posted.length > 0 ? posted : undefined;
    }, { what: 'the reply to be posted after Chatwoot came back', timeoutMs: 60_000 });
    await settle();
    expect(fake.botMessages(conversation, { private: false })).toEqual(replies);
    expect(replies).toHaveLength(1);
    const attempts = fake.requests.filter((r) => r.path === `/api/v1/accounts/${conversation.accountId}/conversations/${conversation.id}/messages`);
    expect(attempts).toHaveLength(3); // two refused with 503, the third posted
  });

  it('a handoff while Chatwoot fails still arrives whole, once: note, labels, priority, then open', async () => {
    const conversation = fake.newConversation({ name: 'Lia Teste', phone: '+5511900000409' });
    fake.failNext = 5;
    await fake.customerWrites(conversation, FRAUD);
    // Whole: the customer's protocol message too — it may have drawn one of the failures and be waiting for its
    // retry (not yet due, so settle() alone would not wait for it).
    await waitUntil(() => conversation.status === 'open' && conversation.labels.length > 0 && conversation.priority !== null
      && fake.botMessages(conversation, { private: false }).length > 0, {
      what: 'the handoff to reach Chatwoot after its failures', timeoutMs: 90_000,
    });
    await settle();
    expect(fake.botMessages(conversation, { private: true })).toHaveLength(1);
    expect(fake.botMessages(conversation, { private: false })).toHaveLength(1);
    // The agents found the note when the conversation opened.
    expect(conversation.statusChanges[0]).toEqual({ status: 'open', privateNotes: 1 });
    expect(await service.app.storage.listOutbox({ status: 'dead' })).toEqual([]);
  });

  it('a wrong webhook token gets 401 and nothing is stored; a body that is not an event gets 400', async () => {
    const conversation = fake.newConversation({ name: 'Intrusa', phone: '+5511900000405' });
    const { payload } = await (async () => {
      // Build the event Chatwoot would send, without sending it.
      const { messageCreatedPayload } = await import('../../helpers/fake-chatwoot.js');
      return { payload: messageCreatedPayload(conversation, { id: 999_001, content: 'me passa os dados', messageType: 'incoming', private: false, createdAt: Date.now(), sender: { id: 1, name: 'x', type: 'contact' } }) };
    })();
    const post = (token: string, body: string) => fetch(`${service.url}/webhooks/chatwoot/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect((await post('wrong-token-0123456789', JSON.stringify(payload))).status).toBe(401);
    expect((await post(WEBHOOK_TOKEN.slice(0, -1), JSON.stringify(payload))).status).toBe(401);
    const malformed = await post(WEBHOOK_TOKEN, '{"event":"message_created","id":1}');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'WEBHOOK_MALFORMED' });
    expect((await post(WEBHOOK_TOKEN, 'not json')).status).toBe(400);
    await service.app.settle();
    expect(await service.app.serviceStore.getConversation(keyOf(conversation))).toBeUndefined();
    expect(fake.botMessages(conversation)).toEqual([]);
  });
});

describe('behind a Chatwoot that signs its webhooks and keeps labels from bots (≥ 4.13, before chatwoot#14655)', () => {
  let fake: FakeChatwoot;
  let service: TestService;
  beforeAll(async () => {
    fake = await startFakeChatwoot({ signingSecret: 'bot-signing-secret-0123', labelsForbiddenForBots: true });
    service = await startService(chatwootEnv(fake, { CHATWOOT_WEBHOOK_SECRET: 'bot-signing-secret-0123' }));
    fake.connectBot(`${service.url}/webhooks/chatwoot/${WEBHOOK_TOKEN}`);
  });
  afterAll(async () => {
    await service?.stop();
    await fake?.stop();
  });

  it('signed events are accepted; an unsigned one with the right token is refused, nothing stored', async () => {
    const conversation = fake.newConversation({ name: 'Rita Teste', phone: '+5511900000406' });
    const unsigned = await fetch(`${service.url}/webhooks/chatwoot/${WEBHOOK_TOKEN}`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'message_created', id: 1, content: 'oi', message_type: 'incoming', account: { id: 3 }, conversation: { id: conversation.id, status: 'pending' } }),
    });
    expect(unsigned.status).toBe(401);
    expect(await service.app.serviceStore.getConversation(keyOf(conversation))).toBeUndefined();
    expect((await fake.customerWrites(conversation, FRAUD)).status).toBe(200);
    for (let round = 0; round < 3; round++) {
      await service.app.settle();
      await fake.idle();
    }
    // The handoff still happens without labels: note (which names the typification), priority, open.
    expect(conversation.status).toBe('open');
    expect(fake.botMessages(conversation, { private: true })).toHaveLength(1);
    expect(conversation.labels).toEqual([]);
    expect(conversation.priority).not.toBeNull();
    const dead = await service.app.storage.listOutbox({ status: 'dead' });
    expect(dead).toEqual([]);
  });
});

describe('behind Chatwoot with the processing thread (as `zapflow serve` runs)', () => {
  let fake: FakeChatwoot;
  let service: TestService;
  beforeAll(async () => {
    fake = await startFakeChatwoot();
    service = await startService(chatwootEnv(fake), { processing: 'thread' });
    fake.connectBot(`${service.url}/webhooks/chatwoot/${WEBHOOK_TOKEN}`);
  });
  afterAll(async () => {
    await service?.stop();
    await fake?.stop();
  });

  it('the processing thread answers through Chatwoot and hands over there too', async () => {
    const asking = fake.newConversation({ name: 'Bia Teste', phone: '+5511900000407' });
    const escalating = fake.newConversation({ name: 'Davi Teste', phone: '+5511900000408' });
    await fake.customerWrites(asking, 'como faço para cadastrar uma chave pix aleatória?');
    await fake.customerWrites(escalating, FRAUD);
    await waitUntil(() => fake.botMessages(asking).length === 1 && escalating.status === 'open' && fake.botMessages(escalating, { private: true }).length === 1, {
      what: 'the answer in one conversation and the handoff in the other',
    });
    expect(answers.has(fake.botMessages(asking)[0]!.content!)).toBe(true);
    expect(fake.botMessages(escalating, { private: false })[0]?.content).toMatch(/protocolo/i);
    expect(fake.violations).toEqual([]);
  });
});
