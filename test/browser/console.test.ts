/**
 * The console in a real browser (Debian's Chromium via playwright-core) against the real service, with a
 * fake Meta Cloud API and a fake Evolution API checking every outbound request: an escalation appears live
 * in the queue, agents sign in, claim, see who holds a conversation, answer the customer, release,
 * resolve, correct a typification; an admin reruns a run from a step. Security: login redirect, 403 for
 * agents on admin pages, CSRF, login throttling, customer text rendered as text. axe-core on every page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../src/people/index.js';
import { buildMetaTextWebhook } from '../../src/webhooks/sign.js';
import { FAKE_EVOLUTION_DEFAULTS, startFakeEvolution } from '../helpers/fake-evolution.js';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../helpers/fake-meta.js';
import type { FakeProvider } from '../helpers/mcp-fake-provider.js';
import { SECRETS, startService, type TestService } from '../helpers/service.js';
import { launchChromium, newAgentContext, seriousAxeViolations, signIn, type LaunchedBrowser } from './browser.js';

const PASSWORDS = { ana: 'ana-password-0123', bruno: 'bruno-password-0123', root: 'root-password-0123' };
const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

async function addPeople(service: TestService): Promise<void> {
  const people = service.app.people;
  await people.addUser({ username: 'ana', displayName: 'Ana Souza', role: 'agent', phone: '5511900000090', passwordHash: await hashPassword(PASSWORDS.ana) });
  await people.addUser({ username: 'bruno', displayName: 'Bruno Lima', role: 'agent', passwordHash: await hashPassword(PASSWORDS.bruno) });
  await people.addUser({ username: 'root', displayName: 'Rita Admin', role: 'admin', passwordHash: await hashPassword(PASSWORDS.root) });
}

/** Waits (generously: the machine is busy) until the conversation of `customer` is waiting for a person. */
async function waitForEscalation(service: TestService, customer: string): Promise<string> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const waiting = await service.app.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 100 });
    const found = waiting.find((c) => c.customer === customer);
    if (found) return found.conversationKey;
    if (Date.now() > deadline) throw new Error(`the conversation of ${customer} was never escalated to a person`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function expectAccessible(page: Page): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(violations, `axe on ${page.url()}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

async function waitForRequest(provider: FakeProvider, match: (body: Record<string, unknown>) => boolean, what: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = provider.accepted.find((r) => match(r.body as Record<string, unknown>));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`the provider never received ${what}; got ${JSON.stringify(provider.requests.map((r) => [r.status, r.body]))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let chromium: LaunchedBrowser;

beforeAll(async () => {
  chromium = await launchChromium();
});
afterAll(async () => {
  await chromium?.close();
});

describe('console on the Meta Cloud API', () => {
  let meta: FakeProvider;
  let service: TestService;

  beforeAll(async () => {
    meta = await startFakeMeta();
    service = await startService({
      META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: FAKE_META_DEFAULTS.phoneNumberId, META_GRAPH_URL: meta.url,
    });
    await addPeople(service);
  });
  afterAll(async () => {
    await service?.stop();
    await meta?.close();
  });

  it('an agent sees the escalation arrive live, claims it, answers the customer, releases it; another agent sees who holds it; an admin reruns from a step', async () => {
    const customer = '5511987650001';
    const ana = await newAgentContext(chromium.browser, service.url);
    const bruno = await newAgentContext(chromium.browser, service.url);
    const root = await newAgentContext(chromium.browser, service.url);
    try {
      // No session: the login page, in pt-BR.
      await ana.page.goto('/console/queue');
      expect(new URL(ana.page.url()).pathname).toBe('/console/login');
      expect(await ana.page.getAttribute('html', 'lang')).toBe('pt-BR');
      await expectAccessible(ana.page);
      await signIn(ana.page, 'ana', PASSWORDS.ana);
      await expect.poll(() => ana.page.getByText('Nenhum atendimento esperando.').count()).toBe(1);
      await expectAccessible(ana.page);
      // A marker that a reload would wipe: the row must arrive over SSE, not by reloading.
      await ana.page.evaluate(() => Object.assign(globalThis, { notReloaded: true }));

      // The customer writes (a hostile name and text: they must render as text).
      const post = await service.post(buildMetaTextWebhook({
        appSecret: SECRETS.metaAppSecret, phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId, from: customer,
        text: 'Quero falar com um atendente humano agora <img src=x onerror=alert(1)>', name: '<script>alert(2)</script>Maria',
      }));
      expect(post.status).toBe(200);
      const conversationKey = await waitForEscalation(service, customer);
      const row = ana.page.locator(`tr[data-conversation="${conversationKey}"]`);
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      expect(await ana.page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
      await expect.poll(() => row.textContent()).toContain('<script>alert(2)</script>Maria');
      await ana.page.screenshot({ path: `${SCREENSHOTS}queue.png`, fullPage: true });

      // Open it, claim it.
      await row.getByRole('link').click();
      await ana.page.waitForURL(/\/console\/conversations\//);
      await expect.poll(() => ana.page.getByText('<img src=x onerror=alert(1)>', { exact: false }).count()).toBeGreaterThan(0);
      await expectAccessible(ana.page);
      await ana.page.getByRole('button', { name: 'Assumir' }).click();
      await ana.page.getByText('Atendimento assumido.').waitFor();

      // Bruno sees who holds it, has no Claim button, and a forced claim is refused with 409.
      await signIn(bruno.page, 'bruno', PASSWORDS.bruno, `/console/conversations/${encodeURIComponent(conversationKey)}`);
      await bruno.page.getByText('Este atendimento está com Ana Souza.').waitFor();
      expect(await bruno.page.getByRole('button', { name: 'Assumir' }).count()).toBe(0);
      const brunoCsrf = await bruno.page.locator('input[name=_csrf]').first().inputValue();
      const forced = await bruno.page.request.post(`/console/conversations/${encodeURIComponent(conversationKey)}/claim`, { form: { _csrf: brunoCsrf } });
      expect(forced.status()).toBe(409);
      expect(await forced.text()).toContain('Ana Souza');

      // Ana answers: the customer gets exactly this message through Meta.
      const reply = 'Olá Maria, aqui é a Ana. Já estou vendo o seu caso.';
      await ana.page.getByLabel('Resposta ao cliente').fill(reply);
      await ana.page.getByRole('button', { name: 'Enviar' }).click();
      await ana.page.getByText('Mensagem enviada ao cliente.').waitFor();
      const sent = await waitForRequest(meta, (body) => (body.text as { body?: string } | undefined)?.body === reply, 'the agent reply');
      expect(sent.path).toBe(`/${FAKE_META_DEFAULTS.apiVersion}/${FAKE_META_DEFAULTS.phoneNumberId}/messages`);
      expect(sent.body).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: customer, type: 'text', text: { preview_url: false, body: reply } });
      expect(meta.violations).toEqual([]);
      await ana.page.locator('.msg.agent', { hasText: reply }).waitFor();

      // Ana corrects the typification from the taxonomy tree; the correction is stored.
      const choice = ana.page.getByLabel('Corrigir tipificação');
      const options = await choice.locator('option').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { value: string }).value).filter(Boolean));
      const leaf = options.at(-1)!;
      await choice.selectOption(leaf);
      await ana.page.getByRole('button', { name: 'Salvar correção' }).click();
      await ana.page.getByText('Tipificação corrigida.').waitFor();
      const corrections = (await service.app.people.listAudit({ limit: 50, conversationKey })).filter((e) => e.action === 'correction');
      expect(corrections).toHaveLength(1);
      expect(String(corrections[0]!.detail?.path)).toMatch(new RegExp(`/ ${leaf}$`));
      // The page shows the corrected path as the case's typification, the model's beneath it.
      await ana.page.getByText('Corrigida por ana').waitFor();
      expect(await choice.inputValue()).toBe(leaf);
      await ana.page.screenshot({ path: `${SCREENSHOTS}conversation.png`, fullPage: true });

      // Release to the bot.
      await ana.page.getByRole('button', { name: 'Devolver ao bot' }).click();
      await ana.page.getByText('Conversa devolvida ao bot.').waitFor();
      expect((await service.app.serviceStore.getConversation(conversationKey))?.handoffStatus).toBe('bot');
      expect(ana.dialogs).toEqual([]);
      expect(bruno.dialogs).toEqual([]);

      // The admin reruns the conversation's typification run from a step on the run page.
      await signIn(root.page, 'root', PASSWORDS.root, '/console/runs?lang=en');
      await expectAccessible(root.page);
      const { runs } = await service.app.storage.listRuns({ sessionId: conversationKey, workflowName: 'conversation-typification', limit: 10, offset: 0 });
      const run = runs.at(-1)!;
      await root.page.goto(`/console/runs/${encodeURIComponent(run.runId)}?lang=en`);
      await expectAccessible(root.page);
      const fromStep = root.page.getByLabel('From step');
      const steps = await fromStep.locator('option').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { value: string }).value).filter(Boolean));
      expect(steps.length).toBeGreaterThan(1);
      const chosenStep = steps[1]!;
      await fromStep.selectOption(chosenStep);
      await root.page.getByRole('button', { name: 'Rerun' }).click();
      await root.page.getByText('Rerun started.').waitFor();
      const rerunId = decodeURIComponent(new URL(root.page.url()).pathname.split('/').pop()!);
      const rerun = await service.app.storage.getRun(rerunId);
      expect(rerun).toMatchObject({ parentRunId: run.runId });
      expect(rerun?.rerunFromStep?.split('/')[0]).toBe(chosenStep);

      // Every action is in the audit log, shown on the admin page.
      await root.page.goto('/console/audit?lang=en');
      await expectAccessible(root.page);
      const actions = (await service.app.people.listAudit({ limit: 100 })).map((e) => `${e.actorLabel}:${e.action}`);
      expect(actions).toEqual(expect.arrayContaining(['ana:sign_in', 'ana:claim', 'ana:reply', 'ana:correction', 'ana:release', 'root:rerun']));
      for (const page of ['/console/outbox?lang=en', '/console/agents?lang=en', '/console/search?lang=en&query=987650001']) {
        await root.page.goto(page);
        await expectAccessible(root.page);
      }
      await root.page.getByRole('link', { name: '<script>alert(2)</script>Maria' }).waitFor();
      expect(root.dialogs).toEqual([]);
    } finally {
      await Promise.all([ana.context.close(), bruno.context.close(), root.context.close()]);
    }
  }, 150_000);

  it('refuses what it must: admin pages for agents (403), posts without the CSRF token (403), repeated bad passwords (429)', async () => {
    const agent = await newAgentContext(chromium.browser, service.url);
    const stranger = await newAgentContext(chromium.browser, service.url);
    try {
      await signIn(agent.page, 'bruno', PASSWORDS.bruno);
      const adminPage = await agent.page.goto('/console/runs');
      expect(adminPage?.status()).toBe(403);
      await agent.page.getByText('Você não tem acesso a esta página.').waitFor();
      const noCsrf = await agent.page.request.post('/console/conversations/meta%3A1%3A5511000000000/claim', { form: {} });
      expect(noCsrf.status()).toBe(403);
      const noCsrfLogout = await agent.page.request.post('/console/logout', { form: {} });
      expect(noCsrfLogout.status()).toBe(403);

      const statuses: number[] = [];
      for (let attempt = 0; attempt < 6; attempt++) {
        await stranger.page.goto('/console/login');
        await stranger.page.getByLabel('Usuário').fill('ana');
        await stranger.page.getByLabel('Senha').fill(`wrong-${attempt}`);
        const [response] = await Promise.all([
          stranger.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/console/login'),
          stranger.page.getByRole('button', { name: 'Entrar' }).click(),
        ]);
        statuses.push(response.status());
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      await stranger.page.getByText('Muitas tentativas').waitFor();
      // Even the right password waits now.
      await stranger.page.getByLabel('Usuário').fill('ana');
      await stranger.page.getByLabel('Senha').fill(PASSWORDS.ana);
      const [blocked] = await Promise.all([
        stranger.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/console/login'),
        stranger.page.getByRole('button', { name: 'Entrar' }).click(),
      ]);
      expect(blocked.status()).toBe(429);
    } finally {
      await Promise.all([agent.context.close(), stranger.context.close()]);
    }
  }, 60_000);
});

describe('console on Evolution', () => {
  let evolution: FakeProvider;
  let service: TestService;

  beforeAll(async () => {
    evolution = await startFakeEvolution();
    service = await startService({
      EVOLUTION_URL: evolution.url, EVOLUTION_API_KEY: FAKE_EVOLUTION_DEFAULTS.apiKey, EVOLUTION_INSTANCE: FAKE_EVOLUTION_DEFAULTS.instance,
    });
    await addPeople(service);
  });
  afterAll(async () => {
    await service?.stop();
    await evolution?.close();
  });

  it('an agent (in English) claims, answers through Evolution and resolves', async () => {
    const customer = '5511987650002';
    const ana = await newAgentContext(chromium.browser, service.url);
    try {
      await signIn(ana.page, 'ana', PASSWORDS.ana, '/console/queue?lang=en');
      expect(await ana.page.getAttribute('html', 'lang')).toBe('en');
      await service.post(service.evolution(customer, 'quero falar com um atendente, por favor', { name: 'João', instance: FAKE_EVOLUTION_DEFAULTS.instance }));
      const conversationKey = await waitForEscalation(service, customer);
      await ana.page.locator(`tr[data-conversation="${conversationKey}"]`).getByRole('link').click();
      await ana.page.getByRole('button', { name: 'Claim' }).click();
      await ana.page.getByText('Conversation claimed.').waitFor();
      const reply = 'Hi João, Ana here. Looking into it now.';
      await ana.page.getByLabel('Reply to the customer').fill(reply);
      await ana.page.getByRole('button', { name: 'Send' }).click();
      const sent = await waitForRequest(evolution, (body) => body.text === reply, 'the agent reply');
      expect(sent.path).toBe(`/message/sendText/${FAKE_EVOLUTION_DEFAULTS.instance}`);
      expect(sent.body).toMatchObject({ number: customer, text: reply });
      expect(evolution.violations).toEqual([]);
      await ana.page.getByRole('button', { name: 'Resolve' }).click();
      await ana.page.getByText('Conversation resolved.').waitFor();
      await expectAccessible(ana.page);
      expect((await service.app.serviceStore.getConversation(conversationKey))?.handoffStatus).toBe('bot');
      const actions = (await service.app.people.listAudit({ limit: 50, conversationKey })).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['claim', 'reply', 'resolve']));
    } finally {
      await ana.context.close();
    }
  }, 90_000);
});
