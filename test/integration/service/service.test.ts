/**
 * The WhatsApp service end to end over real HTTP on 127.0.0.1: what the customer and the agents receive
 * (read from the WhatsApp sender's log) for the cases of the service issue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FOLLOW_UP_LEADS, GREETING_AGAIN, GREETING_QUESTION, loadSelfServiceContent, REPEAT_FOLLOW_UP, REPEAT_FOLLOW_UP_AGAIN, TEXT_ONLY_NOTICE,
} from '../../../src/service/replies.js';
import { PROTOCOL_PATTERN } from '../../../src/workflows/shared/protocol.js';
import { AGENTS, SECRETS, sentTo, startService, type TestService } from '../../helpers/service.js';

const fixtures = join(import.meta.dirname, '../../fixtures/webhooks');
const manifest = JSON.parse(readFileSync(join(fixtures, 'manifest.json'), 'utf8')) as {
  fixtures: Array<{ file: string; headers: Record<string, string>; expect: { status: number; inbound: number } }>;
};
const answers = new Set(Object.values(loadSelfServiceContent().answers));
const questions = new Set([...Object.values(loadSelfServiceContent().clarifyingQuestions), loadSelfServiceContent().fallbackQuestion]);

let service: TestService;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => service.stop());

async function textsTo(phone: string): Promise<string[]> {
  return sentTo(await service.sent(), phone).map((r) => r.text ?? '');
}

async function conversation(key: string) {
  const response = await service.admin(`/admin/conversations/${encodeURIComponent(key)}`);
  return (await response.json()) as { handoff: { status: string }; protocolNumbers: string[]; typification: { path: Record<string, string> } | null };
}

describe('Meta verification handshake', () => {
  it('echoes the challenge for the right token and refuses a wrong one', async () => {
    const ok = await fetch(`${service.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${SECRETS.metaVerifyToken}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${service.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });
});

describe('a customer in the bot state', () => {
  it('gets the self-service answer of the typified submotive, never a bare acknowledgement', async () => {
    const response = await service.post(service.meta('5511900000201', 'como faço para cadastrar uma chave pix aleatória?'));
    expect(response.status).toBe(200);
    await service.app.settle();
    const texts = await textsTo('5511900000201');
    expect(texts).toHaveLength(1);
    expect(answers.has(texts[0]!)).toBe(true);
    const view = await conversation('meta:100000000000002:5511900000201');
    expect(view.handoff.status).toBe('bot');
    expect(view.typification?.path).toMatchObject({ businessUnit: 'digital_account', product: 'pix' });
  });

  it('Evolution customers are answered too', async () => {
    expect((await service.post(service.evolution('5511900000202', 'qual a taxa da maquininha no crédito parcelado?'))).status).toBe(200);
    await service.app.settle();
    const texts = await textsTo('5511900000202');
    expect(texts).toHaveLength(1);
    expect(answers.has(texts[0]!) || questions.has(texts[0]!)).toBe(true);
  });

  it('a tampered signature gets 401 and nothing is stored or answered', async () => {
    const request = service.meta('5511900000203', 'oi');
    const response = await service.post({ ...request, headers: { ...request.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } });
    expect(response.status).toBe(401);
    await service.app.settle();
    expect(await service.app.serviceStore.getConversation('meta:100000000000002:5511900000203')).toBeUndefined();
    expect(await textsTo('5511900000203')).toEqual([]);
  });

  it('a redelivered message is processed once', async () => {
    const request = service.meta('5511900000204', 'quero ver o extrato do mês passado');
    expect((await service.post(request)).status).toBe(200);
    expect((await service.post(request)).status).toBe(200);
    await service.app.settle();
    expect(await textsTo('5511900000204')).toHaveLength(1);
  });

  it('a burst of short messages becomes one run and one answer, in the order they were sent', async () => {
    const t = Date.now();
    await service.post(service.meta('5511900000205', 'nao liga', { timestamp: t + 2000 }));
    await service.post(service.meta('5511900000205', 'minha maquininha', { timestamp: t + 1000 }));
    await service.post(service.meta('5511900000205', 'oi', { timestamp: t }));
    await service.app.settle();
    const runs = await service.app.storage.listRuns({ sessionId: 'meta:100000000000002:5511900000205', workflowName: 'conversation-typification' });
    expect(runs.total).toBe(1);
    const input = runs.runs[0]!.input.message as { messages: Array<{ text: string }> };
    expect(input.messages.map((m) => m.text)).toEqual(['oi', 'minha maquininha', 'nao liga']);
    expect(await textsTo('5511900000205')).toHaveLength(1);
  });

  it('a greeting is answered with a question about what the customer needs, never a self-service text', async () => {
    const phone = '5511900000207';
    for (const text of ['oi', 'bom dia!', '?']) {
      await service.post(service.meta(phone, text));
      await service.app.settle();
    }
    const texts = await textsTo(phone);
    expect(texts).toEqual([GREETING_QUESTION, GREETING_AGAIN, GREETING_QUESTION]); // never the same text twice in a row
    expect(texts.some((t) => answers.has(t))).toBe(false);
    const view = await conversation(`meta:100000000000002:${phone}`);
    expect(view.handoff.status).toBe('bot');
    expect(view.typification).toBeNull();
    // Once the issue is named, the bot answers it; its own questions (with their example topics) are not typified.
    await service.post(service.meta(phone, 'como cadastro uma chave pix aleatoria?'));
    await service.app.settle();
    expect(answers.has((await textsTo(phone)).at(-1)!)).toBe(true);
    const runs = await service.app.storage.listRuns({ sessionId: `meta:100000000000002:${phone}`, workflowName: 'conversation-typification' });
    expect(runs.total).toBe(4); // every turn has its run, greetings included
    const last = runs.runs.find((r) => (r.input.message as { messages: Array<{ text: string }> }).messages.some((m) => m.text.includes('chave pix')));
    const input = last!.input.message as { messages: Array<{ role: string; text: string }> };
    expect(input.messages.filter((m) => m.role === 'bot')).toEqual([]);
    expect((await conversation(`meta:100000000000002:${phone}`)).handoff.status).toBe('bot');
  });

  it('a product named alone gets that product\'s question, a problem with nothing named asks what happened; the issue, once named, is answered', async () => {
    const content = loadSelfServiceContent();
    const phone = '5511900000231';
    await service.post(service.meta(phone, 'queria ver uma coisa do meu cartao de credito'));
    await service.app.settle();
    expect(await textsTo(phone)).toEqual([content.clarifyingQuestions.credit_card]);
    expect((await conversation(`meta:100000000000002:${phone}`)).typification).toBeNull();
    await service.post(service.meta(phone, 'quero parcelar a fatura em 6x'));
    await service.app.settle();
    expect((await textsTo(phone)).at(-1)).toBe(content.answers.bill_installment_plan);

    const other = '5511900000232';
    for (const text of ['oi', 'to com um problema', 'n ta funcionando']) {
      await service.post(service.meta(other, text));
      await service.app.settle();
    }
    const texts = await textsTo(other);
    expect(texts).toEqual([GREETING_QUESTION, GREETING_AGAIN, content.fallbackQuestion]);
    expect((await conversation(`meta:100000000000002:${other}`)).handoff.status).toBe('bot');
  });

  it('a follow-up question on the answer just given gets that answer again, introduced as the reply to it', async () => {
    const phone = '5511900000233';
    for (const text of ['vendi no debito hoje', 'e cai quando na conta?']) {
      await service.post(service.meta(phone, text));
      await service.app.settle();
    }
    const content = loadSelfServiceContent();
    const [first, second] = await textsTo(phone);
    expect(first).toBe(content.answers.receivables_when_credited);
    expect(second).toBe(`${FOLLOW_UP_LEADS.question}\n\n${content.answers.receivables_when_credited}`);
  });

  it('the bot\'s own "um atendente ajuda" is not the customer asking for a person: a lost card stays self-service', async () => {
    const phone = '5511900000234';
    for (const text of ['perdi meu cartão ontem', 'acho que caiu no ônibus', 'quero bloquear e pedir um novo']) {
      await service.post(service.meta(phone, text));
      await service.app.settle();
    }
    const content = loadSelfServiceContent();
    const texts = await textsTo(phone);
    expect(texts.at(-1)?.endsWith(content.answers.card_block_lost_stolen ?? '(no answer)')).toBe(true);
    expect((await conversation(`meta:100000000000002:${phone}`)).handoff.status).toBe('bot');
  });

  it('a customer who says the answer did not help never gets it again: the bot asks what is missing and offers a person', async () => {
    const phone = '5511900000208';
    const question = 'como faço para cadastrar uma chave pix aleatória?';
    for (const text of [question, 'nao entendi, como cadastro a chave pix?', 'e a chave pix aleatoria, como cadastra?']) {
      await service.post(service.meta(phone, text));
      await service.app.settle();
    }
    const [first, second, third] = await textsTo(phone);
    expect(answers.has(first!)).toBe(true);
    expect(second).toBe(REPEAT_FOLLOW_UP);
    expect(third).toBe(REPEAT_FOLLOW_UP_AGAIN);
    expect(second).toMatch(/atendente/);
  });

  it('a fee dispute does not get the fee FAQ', async () => {
    const phone = '5511900000209';
    await service.post(service.meta(phone, 'cobraram 3,5 % cada, isso tá errado'));
    await service.app.settle();
    const content = loadSelfServiceContent();
    const texts = await textsTo(phone);
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toBe(content.answers['fee_rates_doubt']);
  });

  it('a voice note gets the polite text-only notice', async () => {
    const fixture = manifest.fixtures.find((f) => f.file === 'meta/audio-voice.json')!;
    const response = await fetch(`${service.url}/webhooks/whatsapp`, { method: 'POST', headers: fixture.headers, body: readFileSync(join(fixtures, fixture.file)) });
    expect(response.status).toBe(200);
    await service.app.settle();
    const notices = (await service.sent()).filter((r) => r.text === TEXT_ONLY_NOTICE);
    expect(notices).toHaveLength(1);
  });

  it('every message of a batch delivery is processed', async () => {
    const fixture = manifest.fixtures.find((f) => f.file === 'meta/batch-two-entries.json')!;
    const response = await fetch(`${service.url}/webhooks/whatsapp`, { method: 'POST', headers: fixture.headers, body: readFileSync(join(fixtures, fixture.file)) });
    expect(response.status).toBe(200);
    await service.app.settle();
    const inbox = await service.app.serviceStore.conversationsWithPendingInbox();
    expect(inbox).toEqual([]);
    const runs = await service.app.storage.listRuns({ workflowName: 'conversation-typification', limit: 200 });
    const batchRuns = runs.runs.filter((r) => !r.sessionId.includes(':55119000002'));
    expect(batchRuns.length).toBeGreaterThanOrEqual(2);
  });
});

describe('the handoff lifecycle', () => {
  const phone = '5511900000210';
  const key = `meta:100000000000002:${phone}`;

  it('bot → waiting_human → human → bot, with the bot silent while a person owns the conversation', async () => {
    // 1. Fraud: handed over. The customer gets the protocol and the wait; every agent gets the alert citing it.
    await service.post(service.meta(phone, 'alguém fez 3 compras no meu cartão que eu não reconheço, clonaram meu cartão!', { name: 'Joana Teste' }));
    await service.app.settle();
    let view = await conversation(key);
    expect(view.handoff.status).toBe('waiting_human');
    const protocol = view.protocolNumbers.at(-1)!;
    expect(protocol).toMatch(PROTOCOL_PATTERN);
    const toCustomer = await textsTo(phone);
    expect(toCustomer).toHaveLength(1);
    expect(toCustomer[0]).toContain(protocol);
    for (const agent of AGENTS) {
      const alerts = await textsTo(agent);
      expect(alerts.some((t) => t.includes(`Protocolo: ${protocol}`) && t.includes('Joana Teste'))).toBe(true);
    }

    // 2. While waiting: the bot is silent, the agents see the new message.
    await service.post(service.meta(phone, 'por favor me ajudem rápido'));
    await service.app.settle();
    expect(await textsTo(phone)).toHaveLength(1);
    expect((await textsTo(AGENTS[0]!)).some((t) => t.includes('por favor me ajudem rápido'))).toBe(true);

    // 3. An agent claims it: human. The customer is told who joined; the bot stays silent.
    expect((await service.admin(`/admin/conversations/${encodeURIComponent(key)}/claim`, { method: 'POST', body: { agent: 'ana' } })).status).toBe(200);
    await service.post(service.meta(phone, 'oi ana, obrigada'));
    await service.app.settle();
    view = await conversation(key);
    expect(view.handoff.status).toBe('human');
    const whileHuman = await textsTo(phone);
    expect(whileHuman).toHaveLength(2);
    expect(whileHuman[1]).toContain('ana');

    // 4. Released: the customer is told, and the bot answers again.
    expect((await service.admin(`/admin/conversations/${encodeURIComponent(key)}/release`, { method: 'POST' })).status).toBe(200);
    await service.post(service.meta(phone, 'agora quero saber como aumentar o limite do cartão'));
    await service.app.settle();
    expect((await conversation(key)).handoff.status).toBe('bot');
    const after = await textsTo(phone);
    expect(after).toHaveLength(4);
    expect(after[2]).toContain('assistente automático');
    expect(answers.has(after[3]!) || questions.has(after[3]!)).toBe(true);
  });
});

describe('admin rerun webhook', () => {
  it('answers 202 with the new run id, linked to the original', async () => {
    const runs = await service.app.storage.listRuns({ workflowName: 'conversation-typification', limit: 1 });
    const original = runs.runs[0]!;
    const response = await service.admin(`/admin/runs/${original.runId}/rerun`, { method: 'POST', body: { fromStep: 'product_classification' } });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    await service.app.settle();
    for (let i = 0; i < 50 && (await service.app.storage.getRun(runId))?.status !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await service.app.storage.getRun(runId)).toMatchObject({ status: 'completed', parentRunId: original.runId });
    const bad = await service.admin(`/admin/runs/${original.runId}/rerun`, { method: 'POST', body: { fromStep: 'nope' } });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('business_unit_classification');
  });
});
