/**
 * Debian's Chromium driven by playwright-core for the console tests: headless, no sandbox (CI runs as
 * root), nothing in the background (no updates, sync or QUIC), a fresh profile per launch. axe-core is
 * injected from the package (not a CDN) and run with the WCAG 2.0/2.1 A and AA rules.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.ZAPFLOW_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<LaunchedBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'zapflow-chromium-'));
  // playwright-core takes the fresh profile directory as launchPersistentContext's argument (it refuses a
  // --user-data-dir flag) and passes it to Chromium as --user-data-dir; each agent then gets its own
  // incognito-like context from that browser.
  const persistent = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  const browser = persistent.browser();
  if (!browser) throw new Error('Chromium started without a browser handle');
  return {
    browser,
    async close() {
      await persistent.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

/** Serious and critical axe violations of the page as it is now (empty when the page is fine). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline scripts) does not block it.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(options: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A fresh browser context (own cookies) whose dialogs are recorded, never accepted. */
export async function newAgentContext(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; dialogs: string[] }> {
  const context = await browser.newContext({ baseURL, locale: 'pt-BR' });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { context, page, dialogs };
}

export async function signIn(page: Page, username: string, password: string, path = '/console/queue'): Promise<void> {
  await page.goto(path);
  await page.getByLabel(/Usuário|Username/).fill(username);
  await page.getByLabel(/Senha|Password/).fill(password);
  await page.getByRole('button', { name: /^(Entrar|Sign in)$/ }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/console/login'));
}
