/** Receiver options are checked when the router is built, so a bad secret stops the start, not every webhook. */
import { describe, expect, it } from 'vitest';
import { WebhookConfigError, createWebhookRouter } from '../../../src/webhooks/index.js';

const accept = async () => {};

describe('createWebhookRouter options', () => {
  it('lists every problem at once', () => {
    const build = () => createWebhookRouter({ meta: { appSecret: ' ', verifyToken: '' }, evolution: { secret: '', bodyLimit: -1 }, accept });
    expect(build).toThrow(WebhookConfigError);
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(WebhookConfigError);
      const { problems, code } = error as WebhookConfigError;
      expect(code).toBe('WEBHOOK_CONFIG_INVALID');
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringContaining('meta.appSecret'),
          expect.stringContaining('meta.verifyToken'),
          expect.stringContaining('evolution.secret'),
          expect.stringContaining('evolution.bodyLimit'),
        ]),
      );
    }
  });

  it('refuses a router with no provider at all', () => {
    expect(() => createWebhookRouter({ accept })).toThrow(/at least one provider/);
  });

  it('refuses a missing accept callback', () => {
    expect(() => createWebhookRouter({ evolution: { secret: 's' } } as unknown as Parameters<typeof createWebhookRouter>[0])).toThrow(/accept must be a function/);
  });

  it('builds with one provider only', () => {
    expect(typeof createWebhookRouter({ evolution: { secret: 's' }, accept })).toBe('function');
    expect(typeof createWebhookRouter({ chatwoot: { token: 'outgoing-url-secret-0123' }, accept })).toBe('function');
  });

  it('refuses an empty Chatwoot token or signing secret, naming them', () => {
    expect(() => createWebhookRouter({ chatwoot: { token: ' ', signingSecret: '' }, accept })).toThrow(/chatwoot\.token is empty.*chatwoot\.signingSecret is empty/);
  });
});

describe('logger option', () => {
  it('takes a pino logger as is', async () => {
    const { pino } = await import('pino');
    const logger = pino({ level: 'silent' });
    expect(typeof createWebhookRouter({ evolution: { secret: 's' }, accept, logger })).toBe('function');
  });
});
