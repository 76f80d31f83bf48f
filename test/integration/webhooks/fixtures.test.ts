/**
 * Every case of test/fixtures/webhooks/manifest.json replayed over real HTTP, byte for byte, with the
 * manifest's headers: fixtures, the verification handshake, auth cases, replays and body limits.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AcceptedBatch, AcceptedBatchSchema, signMetaBody } from '../../../src/webhooks/index.js';
import {
  type FixtureProvider,
  type WebhookFixture,
  fixtureBody,
  loadWebhookManifest,
  manifestPath,
} from '../../helpers/webhook-fixtures.js';
import { TEST_INSTANCE, type WebhookTestServer, startWebhookServer } from '../../helpers/webhook-server.js';

const manifest = loadWebhookManifest();
const byFile = new Map(manifest.fixtures.map((fixture) => [fixture.file, fixture]));
const META_PHONE_NUMBER_ID = '100000000000002';
/** The receivers' clock in this file: a fixed instant with milliseconds, unlike any provider timestamp. */
const RECEIVED_AT = Date.UTC(2026, 8, 14, 12, 0, 0, 123);

/** What a provider's channel looks like in conversation keys, per fixture provider. */
function expectedConversationKey(provider: FixtureProvider, customer: string): string {
  return provider === 'meta' ? `meta:${META_PHONE_NUMBER_ID}:${customer}` : `evolution:${TEST_INSTANCE}:${customer}`;
}

/** Every reason an accepted body produced nothing inbound (statuses and notices are in `ignored` too). */
function reasons(batch: AcceptedBatch): string[] {
  return [...new Set(batch.ignored.map((item) => item.ignoredBecause))];
}

function assertMatchesExpectation(fixture: WebhookFixture, batch: AcceptedBatch): void {
  const { expect: expected } = fixture;
  expect(AcceptedBatchSchema.safeParse(batch).success, 'batch passes its own schema').toBe(true);
  expect(batch.provider).toBe(fixture.provider);
  expect(batch.messages).toHaveLength(expected.inbound);

  (expected.messages ?? []).forEach((want, index) => {
    const got = batch.messages[index];
    expect(got, `message ${index}`).toBeDefined();
    if (!got) return;
    expect(got.messageId).toBe(want.providerMessageId);
    expect(got.from).toBe(want.customer);
    expect(got.text).toBe(want.text);
    expect(got.name).toBe(want.name);
    // Optional fields: listed → equal; not listed → absent (no invented payloads or quotes).
    expect(got.customerUserId).toBe(want.customerUserId);
    expect(got.payload).toBe(want.payload);
    expect(got.replyTo).toBe(want.replyTo);
    expect(got.conversationKey).toBe(expectedConversationKey(fixture.provider, want.customer));
    // The provider's own timestamp (whole seconds), not the receive time of the injected clock.
    expect(got.timestamp).not.toBe(RECEIVED_AT);
    expect(got.timestamp % 1000).toBe(0);
  });

  if (expected.ignoredBecause !== undefined) expect(reasons(batch)).toEqual([expected.ignoredBecause]);
  else if (expected.inbound > 0 && !expected.statusUpdates) expect(batch.ignored).toEqual([]);

  if (expected.reply === 'text_only_notice') {
    expect(batch.textOnlyNotices).toHaveLength(1);
    expect(batch.textOnlyNotices[0]?.because).toBe(expected.ignoredBecause);
  } else {
    expect(batch.textOnlyNotices).toEqual([]);
  }

  if (expected.statusUpdates) {
    expect(batch.statusUpdates.map(({ status, errorCode }) => ({ status, ...(errorCode !== undefined && { errorCode }) }))).toEqual(expected.statusUpdates);
  }
}

/** The manifest's path, plus the paths the service documents, so both namings are proven on every fixture. */
function pathsFor(fixture: WebhookFixture): string[] {
  if (fixture.provider === 'meta') return [manifestPath('meta'), '/webhooks/whatsapp'];
  return [manifestPath('evolution'), `/webhooks/evolution/${TEST_INSTANCE}`];
}

describe('webhook fixtures over real HTTP', () => {
  let server: WebhookTestServer;
  beforeAll(async () => {
    server = await startWebhookServer({ now: () => RECEIVED_AT });
  });
  afterAll(async () => server.close());
  beforeEach(() => {
    server.reset();
    server.setAccept(undefined);
  });

  const cases = manifest.fixtures.flatMap((fixture) => pathsFor(fixture).map((path) => ({ fixture, path })));
  it.each(cases)('$fixture.file → $fixture.expect.status at $path', async ({ fixture, path }) => {
    const body = await fixtureBody(fixture);
    expect(body.length).toBe(fixture.bytes);
    const response = await server.post(path, body, fixture.headers);

    expect(response.status, response.text).toBe(fixture.expect.status);
    if (fixture.expect.status !== 200) {
      expect(server.acceptCalls(), 'nothing handed to the inbox').toBe(0);
      expect(JSON.parse(response.text)).toMatchObject({ code: expect.stringMatching(/^WEBHOOK_/) });
      return;
    }
    expect(server.batches).toHaveLength(1);
    const [batch] = server.batches;
    expect(batch?.receivedAt).toBe(RECEIVED_AT);
    if (batch) assertMatchesExpectation(fixture, batch);
  });

  it('accepts Evolution deliveries with webhook_by_events paths (/<event> appended)', async () => {
    const fixture = byFile.get('evolution/messages-upsert-conversation.json');
    if (!fixture) throw new Error('fixture missing from manifest');
    const body = await fixtureBody(fixture);
    for (const path of ['/webhooks/evolution/messages-upsert', `/webhooks/evolution/${TEST_INSTANCE}/messages-upsert`]) {
      server.reset();
      const response = await server.post(path, body, fixture.headers);
      expect(response.status).toBe(200);
      expect(server.batches[0]?.messages[0]?.conversationKey).toBe(`evolution:${TEST_INSTANCE}:5511900000041`);
    }
  });

  it('names the business channel after the URL instance when one is given', async () => {
    const fixture = byFile.get('evolution/messages-upsert-lid.json');
    if (!fixture) throw new Error('fixture missing from manifest');
    const response = await server.post('/webhooks/evolution/loja-centro', await fixtureBody(fixture), fixture.headers);
    expect(response.status).toBe(200);
    expect(server.batches[0]?.messages[0]).toMatchObject({ instance: 'loja-centro', conversationKey: 'evolution:loja-centro:5511900000047' });
  });

  describe('Meta verification handshake', () => {
    it.each(manifest.verification)('$name → $expect.status', async (testCase) => {
      for (const path of ['/webhooks/whatsapp', '/webhooks/meta']) {
        const response = await server.get(`${path}?${new URLSearchParams(testCase.query).toString()}`);
        expect(response.status).toBe(testCase.expect.status);
        if (testCase.expect.body !== undefined) {
          expect(response.text).toBe(testCase.expect.body);
          expect(response.contentType).toMatch(/^text\/plain/);
        } else {
          expect(response.text).not.toContain(testCase.query['hub.challenge'] ?? '');
        }
      }
    });
  });

  describe('authentication', () => {
    it.each(manifest.authCases)('$name → $expect.status, nothing accepted', async (testCase) => {
      const fixture = byFile.get(testCase.file);
      if (!fixture) throw new Error(`${testCase.file} missing from manifest`);
      let body = await fixtureBody(fixture);
      if (testCase.transform === 'JSON.stringify(JSON.parse(body))') body = Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8'))), 'utf8');
      else if (testCase.transform !== undefined) throw new Error(`unknown transform ${testCase.transform}`);
      for (const path of pathsFor(fixture)) {
        const response = await server.post(path, body, testCase.headers);
        expect(response.status).toBe(testCase.expect.status);
        expect(JSON.parse(response.text).code).toBe(fixture.provider === 'meta' ? 'WEBHOOK_SIGNATURE_INVALID' : 'WEBHOOK_SECRET_INVALID');
      }
      expect(server.acceptCalls()).toBe(testCase.expect.stored);
    });
  });

  describe('redeliveries', () => {
    it.each(manifest.replayCases)('$name: every delivery acked, same provider message ids each time', async (testCase) => {
      const fixture = byFile.get(testCase.file);
      if (!fixture) throw new Error(`${testCase.file} missing from manifest`);
      const body = await fixtureBody(fixture);
      for (let delivery = 0; delivery < testCase.times; delivery++) {
        const response = await server.post(manifestPath(fixture.provider), body, fixture.headers);
        expect(response.status).toBe(testCase.expect.status);
      }
      expect(server.batches).toHaveLength(testCase.times);
      const idsPerDelivery = server.batches.map((batch) => batch.messages.map((message) => `${message.provider}:${message.messageId}`));
      // Dedupe is the inbox's job (unique on provider + message id); the router must make that possible.
      const unique = new Set(idsPerDelivery.flat());
      expect(unique.size).toBe(testCase.expect.inboundTotal);
      for (const ids of idsPerDelivery) expect(ids).toEqual(idsPerDelivery[0]);
    });
  });

  describe('body limits', () => {
    it('uses the manifest limits by default: Meta accepts exactly its limit (signed), one byte more is 413', async () => {
      const { appSecret } = manifest.secrets.meta;
      const atLimit = Buffer.alloc(manifest.bodyLimits.meta, 0x20);
      // Whitespace-padded JSON: still one document, so a body at the limit is read and parsed, not refused.
      const json = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
      json.copy(atLimit);
      const response = await server.post('/webhooks/whatsapp', atLimit, { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(atLimit, appSecret) });
      expect(response.status).toBe(200);

      const over = Buffer.concat([atLimit, Buffer.from(' ')]);
      const tooLarge = await server.post('/webhooks/whatsapp', over, { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(over, appSecret) });
      expect(tooLarge.status).toBe(413);
      expect(server.acceptCalls()).toBe(1);
    });

    it('Evolution accepts exactly its limit, one byte more is 413', async () => {
      const headers = { 'content-type': 'application/json', apikey: manifest.secrets.evolution.secret };
      const atLimit = Buffer.alloc(manifest.bodyLimits.evolution, 0x20);
      Buffer.from(`{"event":"presence.update","instance":"${TEST_INSTANCE}","data":{}}`).copy(atLimit);
      expect((await server.post('/webhooks/evolution', atLimit, headers)).status).toBe(200);
      expect((await server.post('/webhooks/evolution', Buffer.concat([atLimit, Buffer.from(' ')]), headers)).status).toBe(413);
      expect(server.acceptCalls()).toBe(1);
    });
  });

  describe('when the inbox cannot store the batch', () => {
    it.each(['meta/text.json', 'evolution/messages-upsert-conversation.json'])('%s → 503 with Retry-After, so the provider redelivers', async (file) => {
      const fixture = byFile.get(file);
      if (!fixture) throw new Error(`${file} missing from manifest`);
      server.setAccept(async () => {
        throw new Error('database is down');
      });
      const response = await server.post(manifestPath(fixture.provider), await fixtureBody(fixture), fixture.headers);
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(JSON.parse(response.text)).toEqual({ error: expect.stringContaining('503'), code: 'WEBHOOK_ACCEPT_FAILED' });
      expect(server.acceptCalls()).toBe(1);
      expect(server.batches).toHaveLength(0);

      // Storage back: the redelivery goes through.
      server.setAccept(undefined);
      const retry = await server.post(manifestPath(fixture.provider), await fixtureBody(fixture), fixture.headers);
      expect(retry.status).toBe(200);
      expect(server.batches[0]?.messages).toHaveLength(1);
    });
  });
});
