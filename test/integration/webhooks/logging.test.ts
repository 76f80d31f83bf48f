/**
 * What the receivers log while handling every fixture, auth case and failure: structured lines that say
 * what happened, and never a secret, a phone number, a customer id or message text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebhookLogger } from '../../../src/webhooks/index.js';
import { fixtureBody, loadWebhookManifest, manifestPath } from '../../helpers/webhook-fixtures.js';
import { type WebhookTestServer, startWebhookServer } from '../../helpers/webhook-server.js';

interface LogLine {
  level: keyof WebhookLogger;
  fields: Record<string, unknown>;
  message: string;
}

const manifest = loadWebhookManifest();

describe('webhook receiver logs', () => {
  const lines: LogLine[] = [];
  const record = (level: keyof WebhookLogger) => (fields: Record<string, unknown>, message: string) => lines.push({ level, fields, message });
  const logger: WebhookLogger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  let server: WebhookTestServer;

  beforeAll(async () => {
    server = await startWebhookServer({ logger });
    for (const fixture of manifest.fixtures) await server.post(manifestPath(fixture.provider), await fixtureBody(fixture), fixture.headers);
    for (const testCase of manifest.authCases) {
      const fixture = manifest.fixtures.find((item) => item.file === testCase.file);
      if (fixture) await server.post(manifestPath(testCase.provider), await fixtureBody(fixture), testCase.headers);
    }
    for (const testCase of manifest.verification) await server.get(`/webhooks/whatsapp?${new URLSearchParams(testCase.query).toString()}`);
    server.setAccept(async () => {
      throw new Error('connection refused');
    });
    const text = manifest.fixtures.find((item) => item.file === 'meta/text.json');
    if (text) await server.post('/webhooks/whatsapp', await fixtureBody(text), text.headers);
  });
  afterAll(async () => server.close());

  it('says what happened, at a level that fits', () => {
    const messages = (level: LogLine['level']) => new Set(lines.filter((line) => line.level === level).map((line) => line.message));
    expect(messages('warn')).toEqual(new Set(['webhook rejected: not authenticated', 'webhook rejected: body over the limit', 'webhook subscription refused']));
    expect(messages('info')).toEqual(new Set(['webhook rejected: malformed body', 'webhook subscription verified']));
    expect(messages('error')).toEqual(new Set(['webhook not stored; answered 503 so the provider delivers it again']));
    expect(lines.find((line) => line.message === 'webhook rejected: malformed body')?.fields).toMatchObject({ provider: 'meta', code: 'WEBHOOK_MALFORMED' });
  });

  it('never logs secrets, phone numbers, customer ids or message text', () => {
    const logged = JSON.stringify(lines);
    const forbidden = [
      manifest.secrets.meta.appSecret,
      manifest.secrets.meta.verifyToken,
      manifest.secrets.evolution.secret,
      '5511900000', // every fake customer and business number starts with it
      'BR.9000',
      '@lid',
      ...manifest.fixtures.flatMap((fixture) => (fixture.expect.messages ?? []).map((message) => message.text)),
    ];
    for (const value of forbidden) expect(logged, `logs contain ${value}`).not.toContain(value);
  });
});
