import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSessionState } from '../../../src/workflows/session-state.js';
import { type AdminTestServer, NOW, inboxItem, startAdminServer } from './admin-server.js';

const CUSTOMER = '5511987654321';
const KEY = `meta:100000000000002:${CUSTOMER}`;
const BOT_KEY = 'evolution:atendimento:5521999998888';
const CPF = '123.456.789-09';

const state: ConversationSessionState = {
  typification: {
    path: { businessUnit: 'cartoes', product: 'cartao_credito', motive: 'fraude', submotive: 'compra_nao_reconhecida' },
    confidence: 0.82,
    levelConfidences: { businessUnit: 0.97, product: 0.95, motive: 0.93, submotive: 0.94 },
    route: 'high',
    protocolNumber: '20250520-000042',
    runId: 'run-typ-1',
    at: NOW - 60_000,
  },
  escalation: {
    shouldEscalate: true, reason: 'security_concern', urgency: 'critical', emotion: 'urgent',
    summary: `Cliente (CPF ${CPF}, tel 11 98765-4321) relata compra não reconhecida.`, runId: 'run-hand-1', at: NOW - 50_000,
  },
  protocolNumbers: ['20250519-000007', '20250520-000042'],
};

describe('admin conversation view and handoff transitions', () => {
  let server: AdminTestServer;
  beforeAll(async () => {
    server = await startAdminServer();
    await server.serviceStore.insertInbox([
      inboxItem(KEY, CUSTOMER, 'wamid.1', 'oi, alguém usou meu cartão', NOW - 120_000),
      inboxItem(KEY, CUSTOMER, 'wamid.2', `meu cpf é ${CPF} e meu celular +55 (11) 98765-4321`, NOW - 110_000),
      inboxItem(KEY, CUSTOMER, 'wamid.3', 'podem me ligar no 11987654321?', NOW - 100_000),
      inboxItem(BOT_KEY, '5521999998888', 'evo.1', 'qual o horário de atendimento?', NOW - 90_000),
    ], NOW - 90_000);
    await server.storage.saveSession(KEY, state as Record<string, unknown>, 0, NOW);
    await server.lifecycle.handoffCreated(KEY, { protocolNumber: '20250520-000042', urgency: 'critical', reason: 'security_concern' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('shows handoff status, typification ids with confidence, escalation, protocols and recent messages', async () => {
    const response = await server.call('GET', `/admin/conversations/${encodeURIComponent(KEY)}`);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      provider: 'meta',
      handoff: { status: 'waiting_human', assignedAgent: null, protocolNumber: '20250520-000042', urgency: 'critical', waitingSince: new Date(NOW).toISOString() },
      typification: {
        path: { businessUnit: 'cartoes', product: 'cartao_credito', motive: 'fraude', submotive: 'compra_nao_reconhecida' },
        confidence: 0.82,
        levelConfidences: { submotive: 0.94 },
      },
      escalation: { shouldEscalate: true, reason: 'security_concern', urgency: 'critical', emotion: 'urgent' },
      protocolNumbers: ['20250519-000007', '20250520-000042'],
    });
    const messages = response.json.recentMessages as Array<{ text: string; sentAt: string }>;
    // Times read as ISO 8601 (UTC), not epoch milliseconds.
    expect(messages.map((m) => m.sentAt)).toEqual(['2025-05-20T11:58:00.000Z', '2025-05-20T11:58:10.000Z', '2025-05-20T11:58:20.000Z']);
    expect((response.json.typification as { at: string }).at).toBe('2025-05-20T11:59:00.000Z');
    expect(messages[0]!.text).toBe('oi, alguém usou meu cartão');
  });

  it('masks the customer, phone numbers and CPFs everywhere in the JSON', async () => {
    const response = await server.call('GET', `/admin/conversations/${encodeURIComponent(KEY)}`);
    const json = JSON.stringify(response.json);
    for (const secret of [CUSTOMER, '98765-4321', '987654321', CPF, '12345678909', '456.789']) {
      expect(json, `"${secret}" leaked`).not.toContain(secret);
    }
    expect(response.json.customer).toBe('55119****4321');
    expect(response.json.conversationKey).toBe('meta:100000000000002:55119****4321');
    const texts = (response.json.recentMessages as Array<{ text: string }>).map((m) => m.text);
    expect(texts[1]).toContain('***.***.***-09');
    // The rest of the text stays readable; the number is starred out.
    expect(texts[2]).toMatch(/^podem me ligar no [\d.*-]*\*{3}[\d.*-]*\?$/);
    expect((response.json.escalation as { summary: string }).summary).toContain('compra não reconhecida');
  });

  it('routes keys with raw colons too, and bounds the messages shown', async () => {
    const response = await server.call('GET', `/admin/conversations/${KEY}?messages=1`);
    expect(response.status).toBe(200);
    expect((response.json.recentMessages as unknown[]).length).toBe(1);
    expect((await server.call('GET', `/admin/conversations/${KEY}?messages=-1`)).status).toBe(400);
  });

  it('shows a conversation the workflows never touched with empty analysis', async () => {
    const response = await server.call('GET', `/admin/conversations/${encodeURIComponent(BOT_KEY)}`);
    expect(response.json).toMatchObject({ handoff: { status: 'bot' }, typification: null, escalation: null, protocolNumbers: [] });
  });

  it('answers 404 for an unknown conversation, on every route', async () => {
    const key = encodeURIComponent('meta:100000000000002:5500000000000');
    for (const [method, path, body] of [['GET', `/admin/conversations/${key}`], ['POST', `/admin/conversations/${key}/claim`, { agent: 'ana' }], ['POST', `/admin/conversations/${key}/release`]] as const) {
      const response = await server.call(method, path, body === undefined ? {} : { body });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.json.code).toBe('CONVERSATION_NOT_FOUND');
    }
  });

  it('claims a waiting conversation for an agent, then releases it to the bot', async () => {
    const claimed = await server.call('POST', `/admin/conversations/${encodeURIComponent(KEY)}/claim`, { body: { agent: 'ana.souza' } });
    expect(claimed.status).toBe(200);
    expect(claimed.json.handoff).toMatchObject({ status: 'human', assignedAgent: 'ana.souza' });
    expect((await server.serviceStore.getConversation(KEY))?.handoffStatus).toBe('human');

    const released = await server.call('POST', `/admin/conversations/${encodeURIComponent(KEY)}/release`);
    expect(released.status).toBe(200);
    expect(released.json.handoff).toMatchObject({ status: 'bot', assignedAgent: null, protocolNumber: null });
    // The protocol history stays in the session state.
    expect(released.json.protocolNumbers).toEqual(['20250519-000007', '20250520-000042']);
  });

  it('answers 409 when releasing a conversation the bot already has', async () => {
    const response = await server.call('POST', `/admin/conversations/${encodeURIComponent(BOT_KEY)}/release`);
    expect(response.status).toBe(409);
    expect(response.json.code).toBe('INVALID_HANDOFF_TRANSITION');
    expect(response.json.error).toContain('bot');
    expect((await server.serviceStore.getConversation(BOT_KEY))?.handoffStatus).toBe('bot');
  });

  it('answers 400 for a malformed claim (the token claims as itself when no agent is named)', async () => {
    for (const body of [{ agent: '' }, { reassign: 'yes' }, { agent: 'x'.repeat(200) }, { agent: 'ana', extra: 1 }]) {
      const response = await server.call('POST', `/admin/conversations/${encodeURIComponent(BOT_KEY)}/claim`, { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect((await server.serviceStore.getConversation(BOT_KEY))?.handoffStatus).toBe('bot');
  });
});
