/**
 * The "learn from agents" loop in a real browser (Debian's Chromium via playwright-core) against the real
 * service: an agent corrects a case's typification; an admin sees it waiting on the Models page, trains a
 * version from the stored corrections, evaluates it against the version in use, promotes it after a
 * confirmation page; the customer's next turn is typified by the promoted version (its run records it),
 * with no restart. axe-core on every page of the loop.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotedEmbeddedModel } from '../../src/agents/embedded/index.js';
import { hashPassword } from '../../src/people/index.js';
import { defaultTaxonomy } from '../../src/taxonomy/index.js';
import { startService, type TestService } from '../helpers/service.js';
import { embeddedModel } from '../helpers/workflow-deps.js';
import { launchChromium, newAgentContext, seriousAxeViolations, signIn, type LaunchedBrowser } from './browser.js';

const PASSWORDS = { ana: 'ana-password-0123', root: 'root-password-0123' };
const SCREENSHOTS = new URL('../../docs/screenshots/', import.meta.url).pathname;

async function expectAccessible(page: Page): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(violations, `axe on ${page.url()}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
}

/** Waits (generously: the machine is busy) until `check` returns something. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('learning from agents in the console', () => {
  const modelDir = mkdtempSync(join(tmpdir(), 'zapflow-models-browser-'));
  let chromium: LaunchedBrowser;
  let service: TestService;

  beforeAll(async () => {
    chromium = await launchChromium();
    // The model the service runs with `zapflow serve`: it follows promotions in the model folder.
    const model = new PromotedEmbeddedModel({ dir: modelDir, taxonomy: defaultTaxonomy(), bundled: embeddedModel });
    service = await startService({ ZAPFLOW_MODEL_DIR: modelDir }, { model });
    const people = service.app.people;
    await people.addUser({ username: 'ana', displayName: 'Ana Souza', role: 'agent', passwordHash: await hashPassword(PASSWORDS.ana) });
    await people.addUser({ username: 'root', displayName: 'Rita Admin', role: 'admin', passwordHash: await hashPassword(PASSWORDS.root) });
  });
  afterAll(async () => {
    await service?.stop();
    await chromium?.close();
    rmSync(modelDir, { recursive: true, force: true });
  });

  /** The model id recorded by the newest typification run of the conversation (its first classification step). */
  const newestTypification = async (conversationKey: string) => {
    const { runs } = await service.app.storage.listRuns({ sessionId: conversationKey, workflowName: 'conversation-typification', limit: 50, offset: 0 });
    const newest = [...runs].sort((a, b) => b.createdAt - a.createdAt)[0];
    if (!newest || newest.status === 'running' || newest.status === 'pending') return undefined;
    const steps = await service.app.storage.getStepResults(newest.runId);
    const classified = steps.find((s) => s.stepName === 'business_unit_classification');
    return { runId: newest.runId, modelId: (classified?.output as { content?: { modelId?: string } } | undefined)?.content?.modelId };
  };

  it('an agent corrects a typification; an admin trains, evaluates and promotes; the next customer turn uses the new version', async () => {
    const customer = '5511987650101';
    const ana = await newAgentContext(chromium.browser, service.url);
    const root = await newAgentContext(chromium.browser, service.url);
    try {
      // A customer asks for a person; Ana claims the conversation and corrects its typification.
      expect((await service.post(service.meta(customer, 'quero falar com um atendente, o dinheiro do link de pagamento nao caiu'))).status).toBe(200);
      const conversationKey = await eventually('the escalation', async () =>
        (await service.app.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 100 })).find((c) => c.customer === customer)?.conversationKey);
      const before = await eventually('the first typification run', () => newestTypification(conversationKey));
      expect(before.modelId).toMatch(/^zapflow-embedded-1@builtin-/);

      await signIn(ana.page, 'ana', PASSWORDS.ana, `/console/conversations/${encodeURIComponent(conversationKey)}`);
      await ana.page.getByRole('button', { name: 'Assumir' }).click();
      await ana.page.getByText('Atendimento assumido.').waitFor();
      const choice = ana.page.getByLabel('Corrigir tipificação');
      const leaves = await choice.locator('option').evaluateAll((nodes) => nodes.map((n) => (n as unknown as { value: string }).value).filter(Boolean));
      await choice.selectOption(leaves.at(-1)!);
      await ana.page.getByRole('button', { name: 'Salvar correção' }).click();
      await ana.page.getByText('Tipificação corrigida.').waitFor();
      // The agent has no Models page (and no link to it).
      expect(await ana.page.getByRole('link', { name: 'Modelos' }).count()).toBe(0);
      expect((await ana.page.goto('/console/models'))?.status()).toBe(403);
      await ana.page.goto(`/console/conversations/${encodeURIComponent(conversationKey)}`);
      await ana.page.getByRole('button', { name: 'Devolver ao bot' }).click();
      await ana.page.getByText('Conversa devolvida ao bot.').waitFor();

      // The admin sees the correction waiting for a version, and trains one from it.
      await signIn(root.page, 'root', PASSWORDS.root, '/console/queue');
      await root.page.getByRole('link', { name: 'Modelos' }).click();
      await root.page.waitForURL(/\/console\/models$/);
      await root.page.getByText('Nenhuma versão promovida: responde o modelo embutido.').waitFor();
      expect(await root.page.locator('#pending-corrections').textContent()).toBe('1 de 1 correções de agentes ainda não estão em nenhuma versão.');
      await expectAccessible(root.page);
      await root.page.getByRole('button', { name: 'Treinar com as correções' }).click();
      // The job region shows the training while it runs (polling itself), then the new version's figures.
      const trained = root.page.locator('#model-job', { hasText: /Versão [0-9a-f]{16} treinada/ });
      await trained.waitFor({ timeout: 60_000 });
      const version = /Versão ([0-9a-f]{16}) treinada/.exec((await trained.textContent()) ?? '')?.[1];
      expect(version).toBeDefined();
      expect(await trained.textContent()).toContain('421 do conjunto rotulado + 1 correções');
      await expectAccessible(root.page);
      await root.page.reload();
      expect(await root.page.locator('#pending-corrections').textContent()).toBe('0 de 1 correções de agentes ainda não estão em nenhuma versão.');
      const row = root.page.locator(`tr[data-version="${version}"]`);
      expect(await row.locator('td').nth(3).textContent()).toBe('1');

      // It is evaluated against the version in use on the shipped dev set: a warning says both were trained on it.
      await root.page.getByLabel('Versão candidata').selectOption(version!);
      await root.page.getByLabel('Arquivo rotulado').selectOption('typification-dev.jsonl');
      await root.page.getByRole('button', { name: 'Avaliar' }).click();
      const table = root.page.locator('#model-job table.comparison');
      await table.waitFor({ timeout: 60_000 });
      const rows = await table.locator('tbody tr th').allTextContents();
      expect(rows).toEqual(['Unidade de negócio', 'Caminho completo', 'Escalonamento: precisão', 'Escalonamento: recall']);
      expect(await table.locator('thead').textContent()).toContain(`zapflow-embedded-1@${version}`);
      expect(await root.page.locator('#model-job').getByText(/Atenção: \d+ de 421 conversas deste arquivo estão no treino de zapflow-embedded-1@/).count()).toBe(2);
      await expectAccessible(root.page);
      await root.page.screenshot({ path: `${SCREENSHOTS}models.png`, fullPage: true });

      // Promotion asks for a confirmation first, then the page says who promoted it.
      await root.page.getByRole('link', { name: `Promover a versão ${version}` }).click();
      await root.page.getByText(`Em uso agora: o modelo embutido. Depois da promoção: ${version}.`).waitFor();
      await expectAccessible(root.page);
      await root.page.getByRole('button', { name: 'Confirmar promoção' }).click();
      await root.page.getByText(`Versão ${version} promovida.`).waitFor();
      expect(await root.page.locator('#served-version').textContent()).toMatch(new RegExp(`^Versão ${version}, promovida por root em `));
      await expectAccessible(root.page);

      // The customer writes again: that turn's typification is recorded with the promoted version.
      expect((await service.post(service.meta(customer, 'ainda nao caiu o dinheiro da venda no link'))).status).toBe(200);
      const after = await eventually('a typification run by the promoted version', async () => {
        const run = await newestTypification(conversationKey);
        return run && run.runId !== before.runId ? run : undefined;
      });
      expect(after.modelId).toBe(`zapflow-embedded-1@${version}`);

      const audit = (await service.app.people.listAudit({ limit: 100 })).map((e) => `${e.actorLabel}:${e.action}`);
      expect(audit).toEqual(expect.arrayContaining(['ana:correction', 'root:model_train', 'root:model_evaluate', 'root:model_promote']));
      expect(ana.dialogs).toEqual([]);
      expect(root.dialogs).toEqual([]);
    } finally {
      await Promise.all([ana.context.close(), root.context.close()]);
    }
  }, 180_000);
});
