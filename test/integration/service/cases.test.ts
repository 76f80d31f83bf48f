/**
 * Cases and agents end to end over real HTTP, with the WhatsApp provider faked on 127.0.0.1 (Meta Cloud API
 * and Evolution API) asserting the exact outbound requests: one protocol per case whatever the number of
 * messages, the alert with protocol, reason, urgency and console link, an exclusive claim, the customer told
 * who joined, forwarded messages reaching the claiming agent's phone, the agent's reply reaching the
 * customer, a correction, resolve, the next case referencing the previous protocol, the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labeledConversationSchema } from '../../../src/agents/embedded/dataset.js';
import { exportCorrections } from '../../../src/cli/commands/corrections.js';
import { hashPassword } from '../../../src/people/index.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import { formatWait } from '../../../src/workflows/human-handoff/messages.js';
import { PROTOCOL_PATTERN } from '../../../src/workflows/shared/protocol.js';
import { FAKE_EVOLUTION_DEFAULTS, startFakeEvolution } from '../../helpers/fake-evolution.js';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';
import { signIn } from '../../helpers/console-session.js';
import { AGENTS, startService, type TestService } from '../../helpers/service.js';

const PUBLIC_URL = 'https://atendimento.example.com';
const SLA = { critical: 7, high: 17, medium: 47, low: 180 } as const;
const SLA_ENV = { SLA_CRITICAL_MINUTES: '7', SLA_HIGH_MINUTES: '17', SLA_MEDIUM_MINUTES: '47', SLA_LOW_MINUTES: '180' };
const ANA_PHONE = '5511955550001';
const FRAUD = 'alguém fez 3 compras no meu cartão que eu não reconheço, clonaram meu cartão!';

interface View {
  handoff: { status: string; assignedAgent: string | null; assignedAgentName: string | null; urgency: string; protocolNumber: string | null };
  protocolNumbers: string[];
  cases: Array<{
    id: string; status: string; protocolNumber: string; previousProtocol: string | null; openedAt: string; resolvedAt: string | null; resolvedBy: string | null;
    typification: { source: string; path: Record<string, string>; actor: string | null } | null; typificationHistory: unknown[]; runs: Array<{ runId: string }>;
  }>;
  thread: Array<{ author: string; text: string; at: string; agentName: string | null }>;
}

async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** Texts the fake Meta accepted for one number, oldest first. */
function metaTextsTo(meta: FakeProvider, phone: string): string[] {
  return meta.accepted.filter((r) => (r.body as { to?: string }).to === phone).map((r) => (r.body as { text: { body: string } }).text.body);
}

function evolutionTextsTo(evolution: FakeProvider, phone: string): string[] {
  return evolution.accepted.filter((r) => (r.body as { number?: string }).number === phone).map((r) => (r.body as { text: string }).text);
}

describe('an agent works a case on the Meta Cloud API', () => {
  let meta: FakeProvider;
  let service: TestService;
  const phone = '5511900000301';
  const key = `meta:100000000000002:${phone}`;
  const path = (suffix = '') => `/admin/conversations/${encodeURIComponent(key)}${suffix}`;
  const view = async () => json<View>(await service.admin(`${path()}?messages=100`));

  beforeAll(async () => {
    meta = await startFakeMeta({ phoneNumberId: '100000000000002' });
    service = await startService(
      {
        META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: '100000000000002', META_GRAPH_URL: meta.url,
        PUBLIC_URL: `${PUBLIC_URL}/`, ...SLA_ENV,
      },
      { agentDirectory: { phoneOf: async (agent) => (agent === 'ana' ? ANA_PHONE : undefined) } },
    );
  });
  afterAll(async () => {
    await service?.stop();
    await meta?.close();
  });

  let protocol = '';

  it('three customer messages are one case with one protocol, which the handoff tells the customer once', async () => {
    await service.post(service.meta(phone, 'como faço para cadastrar uma chave pix aleatória?', { name: 'Joana Teste' }));
    await service.app.settle();
    await service.post(service.meta(phone, 'e qual o limite do pix à noite?'));
    await service.app.settle();
    await service.post(service.meta(phone, FRAUD));
    await service.app.settle();

    const current = await view();
    expect(current.handoff.status).toBe('waiting_human');
    expect(current.cases).toHaveLength(1);
    const [theCase] = current.cases;
    protocol = theCase!.protocolNumber;
    expect(protocol).toMatch(PROTOCOL_PATTERN);
    expect(current.protocolNumbers).toEqual([protocol]);
    expect(current.handoff.protocolNumber).toBe(protocol);
    // Every turn's runs belong to the case; the typification was refined turn by turn, history kept.
    const typificationRuns = (await service.app.storage.listRuns({ sessionId: key, workflowName: 'conversation-typification' })).runs;
    expect(typificationRuns).toHaveLength(3);
    for (const run of typificationRuns) {
      expect(theCase!.runs.map((r) => r.runId)).toContain(run.runId);
      expect((run.content as { protocolNumber: string }).protocolNumber).toBe(protocol);
    }
    expect(theCase!.typificationHistory.length).toBeGreaterThanOrEqual(2);
    expect(theCase!.openedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    // The customer: two bot answers and one acknowledgement citing the protocol and the SLA wait.
    const toCustomer = metaTextsTo(meta, phone);
    expect(toCustomer).toHaveLength(3);
    expect(toCustomer.filter((t) => t.includes(protocol))).toHaveLength(1);
    expect(toCustomer[2]).toContain(`O tempo estimado de espera é de ${formatWait(SLA[current.handoff.urgency as keyof typeof SLA])}`);
    expect(meta.violations).toEqual([]);
  });

  it('the agents’ alert carries protocol, reason, urgency and a link to the conversation in the console', async () => {
    const link = `${PUBLIC_URL}/console/conversations/${encodeURIComponent(key)}`;
    for (const agent of AGENTS) {
      const alerts = metaTextsTo(meta, agent);
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toContain(`Protocolo: ${protocol}`);
      expect(alerts[0]).toMatch(/Urgência: (CRÍTICA|alta|média|baixa)/);
      expect(alerts[0]).toMatch(/Motivo: \S+/);
      expect(alerts[0]).toContain(`Abrir: ${link}`);
    }
  });

  it('the queue and the search find the waiting conversation', async () => {
    const queue = await json<{ items: Array<Record<string, unknown>> }>(await service.admin('/admin/queue'));
    const item = queue.items.find((i) => i.key === key);
    expect(item).toMatchObject({ status: 'waiting_human', protocolNumber: protocol, name: 'Joana Teste', overdue: false, assignedAgent: null });
    expect(item?.slaDeadline).toMatch(/Z$/);
    expect(typeof item?.reason).toBe('string');
    for (const query of [phone, phone.slice(-4), '+55 11 90000-0301', protocol, 'joana']) {
      const found = await json<{ items: Array<{ key: string; protocolNumber: string }> }>(await service.admin(`/admin/conversations?query=${encodeURIComponent(query)}`));
      expect(found.items.map((i) => i.key), query).toContain(key);
    }
    const none = await json<{ items: unknown[] }>(await service.admin('/admin/conversations?query=ninguem-com-esse-nome'));
    expect(none.items).toEqual([]);
  });

  it('a claim is exclusive: the customer is told who joined, a second agent gets 409 naming the holder', async () => {
    const claimed = await service.admin(path('/claim'), { method: 'POST', body: { agent: 'ana' } });
    expect(claimed.status).toBe(200);
    await service.app.settle();
    const joined = meta.accepted.at(-1)!;
    expect(joined.body).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: phone, type: 'text',
      text: { preview_url: false, body: 'Olá! Aqui é ana, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.' },
    });

    const second = await service.admin(path('/claim'), { method: 'POST', body: { agent: 'bia' } });
    expect(second.status).toBe(409);
    expect(await second.json()).toMatchObject({ code: 'CONVERSATION_CLAIMED', heldBy: { id: 'ana', name: 'ana' } });
    expect((await view()).handoff).toMatchObject({ status: 'human', assignedAgent: 'ana' });
    const mine = await json<{ items: Array<{ key: string }> }>(await service.admin('/admin/queue?mine=true'));
    expect(mine.items).toEqual([]); // the token is not ana
  });

  it('after the claim, the customer’s messages go to the claiming agent’s phone, not every alert number', async () => {
    await service.post(service.meta(phone, 'oi ana, por favor bloqueia meu cartão'));
    await service.app.settle();
    const toAna = metaTextsTo(meta, ANA_PHONE);
    expect(toAna).toHaveLength(1);
    expect(toAna[0]).toContain('oi ana, por favor bloqueia meu cartão');
    expect(toAna[0]).toContain(`protocolo ${protocol}`);
    for (const agent of AGENTS) expect(metaTextsTo(meta, agent).some((t) => t.includes('bloqueia meu cartão'))).toBe(false);
  });

  it('the agent’s reply reaches the customer through the Meta Cloud API and appears in the thread', async () => {
    const text = 'Oi Joana, já bloqueei o cartão e abri a contestação das 3 compras.';
    const response = await service.admin(path('/reply'), { method: 'POST', body: { text } });
    expect(response.status).toBe(202);
    await service.app.settle();
    const sent = meta.accepted.filter((r) => (r.body as { text: { body: string } }).text.body === text);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: phone, type: 'text', text: { preview_url: false, body: text } });
    const thread = (await view()).thread;
    expect(thread.find((m) => m.text === text)).toMatchObject({ author: 'agent', agentName: 'ADMIN_TOKEN' }); // an admin stepping in, ana still holds it
    expect(thread.map((m) => m.author)).toEqual(expect.arrayContaining(['customer', 'bot', 'agent', 'system']));
    // The protocol in the acknowledgement reads as the customer got it (not masked like a CNPJ).
    expect(thread.some((m) => m.author === 'bot' && m.text.includes(protocol))).toBe(true);
    expect((await service.admin(path('/reply'), { method: 'POST', body: { text: '   ' } })).status).toBe(400);
  });

  it('a reply sent twice with the same reply id (a double click, a retried request) reaches the customer once', async () => {
    const text = 'Joana, o estorno das 3 compras cai em até 2 dias úteis.';
    const body = { text, replyId: 'reply-0001-double-click' };
    const [first, second] = await Promise.all([
      service.admin(path('/reply'), { method: 'POST', body }),
      service.admin(path('/reply'), { method: 'POST', body }),
    ]);
    expect([first.status, second.status]).toEqual([202, 202]);
    expect((await service.admin(path('/reply'), { method: 'POST', body })).status).toBe(202);
    await service.app.settle();
    expect(meta.accepted.filter((r) => (r.body as { text: { body: string } }).text.body === text)).toHaveLength(1);
    expect((await view()).thread.filter((m) => m.text === text)).toHaveLength(1);
    expect((await service.admin(path('/reply'), { method: 'POST', body: { text, replyId: 'x' } })).status).toBe(400);
  });

  it('a correction is validated against the taxonomy, refines the case and is exported as a labeled example', async () => {
    const bad = await service.admin(path('/typification'), { method: 'POST', body: { businessUnit: 'cards', product: 'pix', motive: 'x', submotive: 'y' } });
    expect(bad.status).toBe(400);
    expect((await bad.json()) as { code: string }).toMatchObject({ code: 'INVALID_TYPIFICATION' });
    const label = { businessUnit: 'cards', product: 'virtual_card', motive: 'virtual_card_usage', submotive: 'virtual_card_create' };
    const corrected = await service.admin(path('/typification'), { method: 'POST', body: label });
    expect(corrected.status).toBe(200);
    const theCase = ((await corrected.json()) as View).cases[0]!;
    expect(theCase.typification).toMatchObject({ source: 'agent', path: label, actor: 'ADMIN_TOKEN' });
    expect(theCase.typificationHistory.length).toBeGreaterThanOrEqual(3);

    const lines: string[] = [];
    expect(await exportCorrections(service.app.serviceStore, (line) => lines.push(line))).toBe(1);
    const example = JSON.parse(lines[0]!) as { id: string; messages: Array<{ role: string; text: string }>; label: unknown };
    expect(Object.keys(example)).toEqual(['id', 'messages', 'label', 'escalation']);
    // A labeled example `zapflow train --with-corrections` accepts as it is.
    expect(labeledConversationSchema.safeParse(example).error).toBeUndefined();
    expect(example.label).toEqual(label);
    expect(example.messages[0]).toEqual({ role: 'customer', text: 'como faço para cadastrar uma chave pix aleatória?' });
    expect(example.messages.every((m) => m.role === 'customer' || m.role === 'bot')).toBe(true);
  });

  it('resolve closes the case and tells the customer; the next message opens a new case referencing the protocol', async () => {
    const resolved = await service.admin(path('/resolve'), { method: 'POST' });
    expect(resolved.status).toBe(200);
    await service.app.settle();
    expect(metaTextsTo(meta, phone).at(-1)).toBe(`Seu atendimento (protocolo ${protocol}) foi concluído. Obrigado pelo contato! Se precisar de algo mais, é só escrever.`);
    let current = await view();
    expect(current.handoff.status).toBe('bot');
    expect(current.cases[0]).toMatchObject({ status: 'resolved', resolvedBy: 'ADMIN_TOKEN' });
    expect((await service.admin(path('/resolve'), { method: 'POST' })).status).toBe(409);

    await service.post(service.meta(phone, 'agora quero saber como aumentar o limite do cartão'));
    await service.app.settle();
    current = await view();
    expect(current.cases).toHaveLength(2);
    expect(current.cases[0]).toMatchObject({ status: 'open', previousProtocol: protocol });
    expect(current.cases[0]!.protocolNumber).not.toBe(protocol);
    expect(current.protocolNumbers).toEqual([protocol, current.cases[0]!.protocolNumber]);

    // The agent opening the conversation sees the resolved case among its earlier cases, with how it was filed.
    await service.app.people.addUser({ username: 'carla', displayName: 'Carla Dias', role: 'agent', passwordHash: await hashPassword('carla-password-01') });
    const { cookie } = await signIn(service.url, 'carla', 'carla-password-01');
    const page = await (await fetch(`${service.url}/console/conversations/${encodeURIComponent(key)}?lang=en`, { headers: { cookie } })).text();
    const earlier = /Earlier cases<\/h3>\s*<ul>([\s\S]*?)<\/ul>/.exec(page)?.[1] ?? '';
    expect(earlier.match(/<li>/g)).toHaveLength(1);
    expect(earlier).toContain(protocol);
    expect(earlier).toContain(defaultTaxonomy().label(current.cases[1]!.typification!.path.submotive!));
  });

  it('a rerun joins its case and removes nothing the customer was told', async () => {
    const first = current(await service.app.storage.listRuns({ sessionId: key, workflowName: 'conversation-typification', limit: 10 }));
    const rerun = await service.admin(`/admin/runs/${first}/rerun`, { method: 'POST', body: { fromStep: 'product_classification' } });
    expect(rerun.status).toBe(202);
    const { runId } = (await rerun.json()) as { runId: string };
    for (let i = 0; i < 200 && (await service.app.storage.getRun(runId))?.status !== 'completed'; i++) await new Promise((r) => setTimeout(r, 50));
    await service.app.settle();
    const after = await view();
    const oldCase = after.cases.find((c) => c.protocolNumber === protocol)!;
    expect(oldCase.runs.map((r) => r.runId)).toContain(runId);
    expect(after.protocolNumbers).toContain(protocol);
    expect(after.protocolNumbers).toHaveLength(2);

    function current(list: { runs: Array<{ runId: string; createdAt: number }> }): string {
      return [...list.runs].sort((a, b) => a.createdAt - b.createdAt)[0]!.runId;
    }
  });

  it('the audit log says who did what and when', async () => {
    const audit = await json<{ entries: Array<{ action: string; at: string; actor: { label: string; kind: string } }>; total: number }>(
      await service.admin(`/admin/audit?conversation=${encodeURIComponent(key)}&limit=50`),
    );
    const actions = audit.entries.map((e) => e.action);
    for (const action of ['claim', 'reply', 'correction', 'resolve', 'rerun']) expect(actions, action).toContain(action);
    expect(audit.entries.every((e) => e.actor.label === 'ADMIN_TOKEN' && /Z$/.test(e.at))).toBe(true);
    expect(JSON.stringify(audit.entries)).not.toContain('bloqueei o cartão'); // no message text
    expect(meta.violations).toEqual([]);
  });
});

describe('an agent works a case on the Evolution API', () => {
  let evolution: FakeProvider;
  let service: TestService;
  const phone = '5511900000401';
  const key = `evolution:loja:${phone}`;
  const path = (suffix = '') => `/admin/conversations/${encodeURIComponent(key)}${suffix}`;

  beforeAll(async () => {
    evolution = await startFakeEvolution({ instance: 'loja' });
    service = await startService({ EVOLUTION_URL: evolution.url, EVOLUTION_API_KEY: FAKE_EVOLUTION_DEFAULTS.apiKey, EVOLUTION_INSTANCE: 'loja', ...SLA_ENV });
  });
  afterAll(async () => {
    await service?.stop();
    await evolution?.close();
  });

  it('alert with link, claim, reply and release reach the right people with the exact Evolution requests', async () => {
    await service.post(service.evolution(phone, FRAUD, { name: 'Carlos Teste' }));
    await service.app.settle();
    const viewed = (await (await service.admin(path())).json()) as View;
    expect(viewed.handoff.status).toBe('waiting_human');
    const protocol = viewed.cases[0]!.protocolNumber;
    // Without PUBLIC_URL the alert still names the conversation: the console path.
    for (const agent of AGENTS) expect(evolutionTextsTo(evolution, agent)[0]).toContain(`Abrir: /console/conversations/${encodeURIComponent(key)}`);

    expect((await service.admin(path('/claim'), { method: 'POST', body: { agent: 'bia' } })).status).toBe(200);
    const text = 'Carlos, aqui é a Bia: seu cartão está bloqueado.';
    expect((await service.admin(path('/reply'), { method: 'POST', body: { text } })).status).toBe(202);
    expect((await service.admin(path('/release'), { method: 'POST' })).status).toBe(200);
    await service.app.settle();

    const toCustomer = evolution.accepted.filter((r) => (r.body as { number: string }).number === phone);
    expect(toCustomer.map((r) => r.path)).toEqual(Array(toCustomer.length).fill('/message/sendText/loja'));
    expect(toCustomer.map((r) => r.body)).toEqual([
      { number: phone, text: expect.stringContaining(protocol) },
      { number: phone, text: 'Olá! Aqui é bia, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.' },
      { number: phone, text },
      { number: phone, text: 'Seu atendimento com a nossa equipe foi encerrado por aqui. Se precisar de mais alguma coisa, é só escrever que o assistente automático te ajuda.' },
    ]);
    expect(evolution.violations).toEqual([]);
    const audit = (await (await service.admin(`/admin/audit?conversation=${encodeURIComponent(key)}`)).json()) as { entries: Array<{ action: string }> };
    expect(audit.entries.map((e) => e.action)).toEqual(['release', 'reply', 'claim']);

    // Same problem again before the case is resolved: same case, same protocol, and the agents ARE alerted
    // again (the second handoff has its own idempotency keys).
    await service.post(service.evolution(phone, 'continuam aparecendo compras que eu não fiz no cartão, quero falar com alguém!'));
    await service.app.settle();
    const again = (await (await service.admin(path())).json()) as View & { cases: Array<{ handoffs: number }> };
    expect(again.handoff.status).toBe('waiting_human');
    expect(again.cases).toHaveLength(1);
    expect(again.cases[0]).toMatchObject({ protocolNumber: protocol, handoffs: 2 });
    for (const agent of AGENTS) {
      expect(evolutionTextsTo(evolution, agent).filter((t) => t.includes(`Protocolo: ${protocol}`))).toHaveLength(2);
    }
    expect(evolutionTextsTo(evolution, phone).filter((t) => t.includes(protocol))).toHaveLength(2);
    expect(evolution.violations).toEqual([]);
  });
});
