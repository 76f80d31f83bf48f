import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config-problems.js';

const chatwoot = {
  CHATWOOT_URL: 'https://chatwoot.example.com/',
  CHATWOOT_BOT_TOKEN: 'bot-token-Zm9vYmFy',
  CHATWOOT_WEBHOOK_TOKEN: 'outgoing-url-secret-0123',
  ADMIN_TOKEN: 'admin-token-0123456789',
};

const problemsOf = (env: Record<string, string>, purpose: 'serve' | 'tool' = 'serve'): string[] => configProblems(env, purpose);

describe('Chatwoot agent-bot configuration', () => {
  it('the three variables switch Chatwoot mode on; serving needs no WhatsApp secret, sender or alert numbers then', () => {
    expect(problemsOf({ ...chatwoot, NODE_ENV: 'production' })).toEqual([]);
    const config = loadConfig({ ...chatwoot, CHATWOOT_WEBHOOK_SECRET: 'bot-signing-secret' }, { purpose: 'serve' });
    expect(config.chatwoot).toEqual({
      baseUrl: 'https://chatwoot.example.com',
      botToken: 'bot-token-Zm9vYmFy',
      webhookToken: 'outgoing-url-secret-0123',
      signingSecret: 'bot-signing-secret',
      timeoutMs: 8000,
    });
    expect(loadConfig({}).chatwoot).toBeUndefined();
  });

  it('half a Chatwoot configuration stops the start, naming what is missing, with every other problem', () => {
    const problems = problemsOf({ CHATWOOT_URL: 'ftp://chatwoot', CHATWOOT_WEBHOOK_TOKEN: 'short', CHATWOOT_WEBHOOK_SECRET: 'x' });
    const text = problems.join('\n');
    expect(text).toMatch(/^CHATWOOT_URL: must be an http\(s\) URL/m);
    expect(text).toMatch(/^CHATWOOT_WEBHOOK_TOKEN: must be 16 to 128/m);
    expect(text).toMatch(/^CHATWOOT_WEBHOOK_SECRET: must be at least 8/m);
    expect(text).toMatch(/set all three to run as a Chatwoot agent bot, or none \(missing: CHATWOOT_BOT_TOKEN\)/);
    expect(text).toMatch(/^ADMIN_TOKEN: required/m);
  });

  it('a signing secret without Chatwoot mode is a mistake, not ignored', () => {
    expect(problemsOf({ CHATWOOT_WEBHOOK_SECRET: 'bot-signing-secret' }, 'tool')).toEqual([
      'CHATWOOT_WEBHOOK_SECRET: only meaningful with CHATWOOT_URL, CHATWOOT_BOT_TOKEN and CHATWOOT_WEBHOOK_TOKEN',
    ]);
  });

  it('beside a WhatsApp receiver, the alert numbers are still required (its handoffs alert by WhatsApp)', () => {
    expect(problemsOf({ ...chatwoot, EVOLUTION_WEBHOOK_SECRET: 'evolution-secret' })).toEqual([
      'AGENT_ALERT_NUMBERS: list at least one agent number or group to alert on handoffs',
    ]);
  });
});
