/**
 * The request builders used by `zapflow simulate`, the demo and the bench produce deliveries the real
 * receivers accept, over real HTTP, with the text intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildEvolutionTextWebhook,
  buildMetaTextWebhook,
  conversationKeyOf,
  parseConversationKey,
} from '../../../src/webhooks/index.js';
import { loadWebhookManifest } from '../../helpers/webhook-fixtures.js';
import { type WebhookTestServer, startWebhookServer } from '../../helpers/webhook-server.js';

const { secrets } = loadWebhookManifest();
const TEXT = 'Olá! Minha conta está bloqueada 🙁 <urgente> 100% @suporte https://x/y';

describe('webhook request builders', () => {
  let server: WebhookTestServer;
  beforeAll(async () => {
    server = await startWebhookServer();
  });
  afterAll(async () => server.close());

  it('builds a signed Meta delivery in the escaped wire form that the receiver accepts', async () => {
    server.reset();
    const request = buildMetaTextWebhook({ appSecret: secrets.meta.appSecret, from: '5511900000080', text: TEXT, name: 'João Teste', timestamp: Date.UTC(2026, 8, 14), replyTo: 'wamid.FAKEQ' });
    const wire = request.body.toString('utf8');
    expect(wire).toMatch(/^[\x20-\x7e]*$/); // pure ASCII: every non-ASCII character escaped, as Meta sends it
    expect(wire).toContain('\\u00e1');
    expect(wire).toContain('\\ud83d\\ude41');
    expect(wire).toContain('\\u0040suporte');
    const response = await server.post(request.path, request.body, request.headers);
    expect(response.status).toBe(200);
    expect(server.batches[0]?.messages).toEqual([
      {
        provider: 'meta',
        messageId: request.messageId,
        conversationKey: 'meta:100000000000002:5511900000080',
        from: '5511900000080',
        name: 'João Teste',
        text: TEXT,
        replyTo: 'wamid.FAKEQ',
        timestamp: Date.UTC(2026, 8, 14),
        phoneNumberId: '100000000000002',
      },
    ]);
  });

  it('builds an Evolution delivery with the secret header that the receiver accepts', async () => {
    server.reset();
    const request = buildEvolutionTextWebhook({ secret: secrets.evolution.secret, instance: 'loja-centro', from: '5511900000081', text: TEXT, timestamp: Date.UTC(2026, 8, 14) });
    const response = await server.post(request.path, request.body, request.headers);
    expect(response.status).toBe(200);
    expect(server.batches[0]?.messages).toEqual([
      {
        provider: 'evolution',
        messageId: request.messageId,
        conversationKey: 'evolution:loja-centro:5511900000081',
        from: '5511900000081',
        name: 'Cliente',
        text: TEXT,
        timestamp: Date.UTC(2026, 8, 14),
        instance: 'loja-centro',
      },
    ]);
  });

  it('gives every built message a new id unless one is given', () => {
    const input = { appSecret: 's', from: '5511900000082', text: 'oi' };
    expect(buildMetaTextWebhook(input).messageId).not.toBe(buildMetaTextWebhook(input).messageId);
    expect(buildMetaTextWebhook({ ...input, messageId: 'wamid.FIXED' }).messageId).toBe('wamid.FIXED');
  });
});

describe('conversation keys', () => {
  it.each([
    ['meta', '100000000000002', '5511900000001'],
    ['evolution', 'loja:centro', '200000000000052@lid'],
    ['meta', '100000000000002', 'BR.900000000000021'],
  ] as const)('round-trips %s / %s / %s', (provider, channel, customer) => {
    expect(parseConversationKey(conversationKeyOf(provider, channel, customer))).toEqual({ provider, channel, customer });
  });

  it.each(['', 'meta', 'meta:', 'meta::x', 'sms:1:2', 'meta:1:'])('does not parse %j', (key) => {
    expect(parseConversationKey(key)).toBeUndefined();
  });
});
