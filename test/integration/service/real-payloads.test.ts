/**
 * Issue 18, webhooks: payloads shaped as Meta and Evolution really send them (test/fixtures/webhooks/real,
 * each naming its public source), replayed over real HTTP against the whole service. What a user notices is
 * asserted: what the customer receives (the dry-run sender's log), who owns the conversation, what was stored.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSelfServiceContent, TEXT_ONLY_NOTICE, WELCOME_GREETING } from '../../../src/service/replies.js';
import { signMetaBody } from '../../../src/webhooks/sign.js';
import { AGENTS, SECRETS, sentTo, startService, type TestService } from '../../helpers/service.js';

const real = join(import.meta.dirname, '../../fixtures/webhooks/real');
const content = loadSelfServiceContent();
const botWords = new Set([...Object.values(content.answers), ...Object.values(content.clarifyingQuestions), content.fallbackQuestion]);

let service: TestService;
beforeAll(async () => {
  service = await startService();
});
afterAll(async () => service.stop());

function postMeta(file: string): Promise<Response> {
  const body = readFileSync(join(real, file));
  return fetch(`${service.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, SECRETS.metaAppSecret) },
    body,
  });
}

function postEvolution(body: Buffer | string, headers: Record<string, string> = { apikey: SECRETS.evolutionSecret }): Promise<Response> {
  return fetch(`${service.url}/webhooks/evolution`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

const evolutionFixture = (file: string) => readFileSync(join(real, file));

async function textsTo(recipient: string): Promise<string[]> {
  return sentTo(await service.sent(), recipient).map((r) => r.text ?? '');
}

async function handoffStatus(key: string): Promise<string | undefined> {
  return (await service.app.serviceStore.getConversation(key))?.handoffStatus;
}

describe('1. a customer with a WhatsApp username (BSUID only, no phone)', () => {
  it('is answered, addressed by the BSUID, and nothing dies in the outbox', async () => {
    expect((await postMeta('meta/bsuid-username-only.json')).status).toBe(200);
    await service.app.settle();
    const toCustomer = (await service.sent()).filter((r) => r.recipient === 'BR.900000000000301');
    expect(toCustomer).toHaveLength(1);
    expect(botWords.has(toCustomer[0]!.text ?? '')).toBe(true);
    const dead = await service.app.storage.listOutbox({ status: 'dead', limit: 100 });
    expect(dead.filter((row) => JSON.stringify(row.payload).includes('BR.900000000000301'))).toEqual([]);
  });
});

describe('2. an agent answering from the WhatsApp Business app (coexistence echo)', () => {
  const key = 'meta:100000000000002:5511900000302';

  it('hands the conversation to a person: the bot stops answering and forwards to the agents', async () => {
    await service.post(service.meta('5511900000302', 'quero ver o extrato do mês passado'));
    await service.app.settle();
    expect(await textsTo('5511900000302')).toHaveLength(1);
    expect(await handoffStatus(key)).toBe('bot');

    expect((await postMeta('meta/smb-message-echoes.json')).status).toBe(200);
    await service.app.settle();
    expect(await handoffStatus(key)).toBe('human');

    await service.post(service.meta('5511900000302', 'obrigada Ana, aguardo'));
    await service.app.settle();
    expect(await textsTo('5511900000302')).toHaveLength(1); // the bot said nothing more
    expect((await textsTo(AGENTS[0]!)).some((t) => t.includes('obrigada Ana, aguardo'))).toBe(true);
  });
});

describe('3. Evolution send.message: ours or a person\'s, told apart by the ids our sends got back', () => {
  const phone = '5511900000307';
  const key = `evolution:loja:${phone}`;

  it('our own send echoed back changes nothing; an agent\'s reply from Chatwoot takes the conversation', async () => {
    await service.post(service.evolution(phone, 'alguém fez 3 compras no meu cartão que eu não reconheço, clonaram meu cartão!'));
    await service.app.settle();
    expect(await handoffStatus(key)).toBe('waiting_human');
    const ours = sentTo(await service.sent(), phone);
    expect(ours).toHaveLength(1);

    // Evolution echoes our own API send as send.message, with the id it gave us (the text does not matter).
    const echo = JSON.parse(evolutionFixture('evolution/send-message-from-chatwoot.json').toString('utf8')) as { data: { key: { id: string }; message: unknown } };
    echo.data.key.id = ours[0]!.messageId;
    echo.data.message = { conversation: 'texto diferente do que o bot escreveu' };
    expect((await postEvolution(JSON.stringify(echo))).status).toBe(200);
    await service.app.settle();
    expect(await handoffStatus(key)).toBe('waiting_human');

    // An id we never got back: a person answered (Chatwoot, relayed by Evolution). No more waiting, no more re-alerts.
    expect((await postEvolution(evolutionFixture('evolution/send-message-from-chatwoot.json'))).status).toBe(200);
    await service.app.settle();
    expect(await handoffStatus(key)).toBe('human');
    const view = (await (await service.admin(`/admin/conversations/${encodeURIComponent(key)}`)).json()) as { handoff: { assignedAgent: string } };
    expect(view.handoff.assignedAgent).toBe('whatsapp');
  });
});

describe('4. request_welcome (the customer opened the chat and wrote nothing)', () => {
  it('gets a greeting, not the "only text" notice', async () => {
    expect((await postMeta('meta/request-welcome.json')).status).toBe(200);
    await service.app.settle();
    expect(await textsTo('5511900000303')).toEqual([WELCOME_GREETING]);
  });
});

describe('5. text the provider already gives', () => {
  it('a completed WhatsApp Flow is processed with its answers as the message', async () => {
    expect((await postMeta('meta/flow-nfm-reply.json')).status).toBe(200);
    await service.app.settle();
    const texts = await textsTo('5511900000304');
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toBe(TEXT_ONLY_NOTICE);
    const runs = await service.app.storage.listRuns({ sessionId: 'meta:100000000000002:5511900000304', workflowName: 'conversation-typification' });
    const input = runs.runs[0]!.input.message as { messages: Array<{ text: string }> };
    expect(input.messages.at(-1)!.text).toBe('assunto: maquininha nao liga\ndetalhes: minha maquininha nao liga desde ontem');
  });

  it('an Evolution voice note with a speechToText transcript is answered from the transcript', async () => {
    expect((await postEvolution(evolutionFixture('evolution/audio-speech-to-text.json'))).status).toBe(200);
    await service.app.settle();
    const texts = await textsTo('5511900000308');
    expect(texts).toHaveLength(1);
    expect(texts[0]).not.toBe(TEXT_ONLY_NOTICE);
    const runs = await service.app.storage.listRuns({ sessionId: 'evolution:loja:5511900000308', workflowName: 'conversation-typification' });
    const input = runs.runs[0]!.input.message as { messages: Array<{ text: string }> };
    expect(input.messages.at(-1)!.text).toBe('como faço para cadastrar uma chave pix aleatória?');
  });
});

describe('6. edited messages are a new turn with the new text', () => {
  it('Meta edit', async () => {
    expect((await postMeta('meta/edit.json')).status).toBe(200);
    await service.app.settle();
    const runs = await service.app.storage.listRuns({ sessionId: 'meta:100000000000002:5511900000305', workflowName: 'conversation-typification' });
    expect(runs.total).toBe(1);
    const input = runs.runs[0]!.input.message as { messages: Array<{ text: string }> };
    expect(input.messages.at(-1)!.text).toBe('quero ver o extrato do mês passado');
    expect(await textsTo('5511900000305')).toHaveLength(1);
  });

  it('Evolution sends one edit twice (messages.edited and messages.upsert): one turn, one answer', async () => {
    expect((await postEvolution(evolutionFixture('evolution/messages-edited.json'))).status).toBe(200);
    expect((await postEvolution(evolutionFixture('evolution/upsert-edited-message.json'))).status).toBe(200);
    await service.app.settle();
    const inbox = await service.app.serviceStore.recentMessages('evolution:loja:5511900000309', 10);
    expect(inbox.filter((m) => m.kind === 'text').map((m) => m.text)).toEqual(['quero ver o extrato do mês passado']);
    expect(await textsTo('5511900000309')).toHaveLength(1);
  });
});

describe('7. Meta\'s documented location example (no "type")', () => {
  it('is accepted (200) and gets the text-only notice instead of a 400', async () => {
    expect((await postMeta('meta/location-without-type.json')).status).toBe(200);
    await service.app.settle();
    expect(await textsTo('5511900000306')).toEqual([TEXT_ONLY_NOTICE]);
  });
});

describe('8. Evolution\'s default webhook: the apikey in the body', () => {
  it('is accepted and the message answered; a wrong body apikey or a wrong header gets 401 and nothing is stored', async () => {
    const body = evolutionFixture('evolution/default-webhook-body-apikey.json');
    const wrongKey = body.toString('utf8').replace('"apikey": "test-evolution-secret"', '"apikey": "FAKE0000-0000-4000-8000-00000000E001"');
    expect((await postEvolution(wrongKey, {})).status).toBe(401);
    expect((await postEvolution(body, { apikey: 'wrong-header-secret' })).status).toBe(401);
    expect(await service.app.serviceStore.getConversation('evolution:loja:5511900000310')).toBeUndefined();

    expect((await postEvolution(body, {})).status).toBe(200);
    await service.app.settle();
    expect(await textsTo('5511900000310')).toHaveLength(1);
  });
});

describe('operators: dry-run is visible', () => {
  it('/readyz says the sender is dry-run and /metrics exports it', async () => {
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { details: Record<string, string> };
    expect(ready.details.whatsappSender).toBe('dry-run');
    expect(ready.details.whatsappDryRun).toContain('not sent');
    expect(await (await fetch(`${service.url}/metrics`)).text()).toMatch(/^zapflow_whatsapp_sender\{provider="dry-run"\} 1$/m);
  });
});

describe('operators: the admin run detail', () => {
  it('lists the run\'s events, with ISO 8601 times', async () => {
    const runs = await service.app.storage.listRuns({ workflowName: 'conversation-typification', limit: 1 });
    const response = await service.admin(`/admin/runs/${runs.runs[0]!.runId}`);
    const detail = (await response.json()) as { run: { createdAt: string }; events: Array<{ type: string; time: string }> };
    expect(detail.events.map((e) => e.type)).toEqual(expect.arrayContaining(['WorkflowStarted', 'StepCompleted', 'WorkflowCompleted']));
    expect(detail.events[0]!.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(detail.run.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });
});
