/**
 * The Meta and Evolution senders against fake providers on 127.0.0.1: exact request shape and auth headers,
 * provider ids returned, and every failure mapped to "retrying can help" or not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WhatsAppSendError } from '../../../src/mcp/errors.js';
import { EvolutionSender } from '../../../src/mcp/senders/evolution.js';
import { MetaCloudSender } from '../../../src/mcp/senders/meta.js';
import { parseRecipient } from '../../../src/mcp/senders/recipient.js';
import { FAKE_EVOLUTION_DEFAULTS, startFakeEvolution } from '../../helpers/fake-evolution.js';
import { FAKE_META_DEFAULTS, graphError, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';

const customer = parseRecipient('+5511900000041');
const metaConfig = { accessToken: FAKE_META_DEFAULTS.token, phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId, apiVersion: FAKE_META_DEFAULTS.apiVersion };

async function failure(promise: Promise<unknown>): Promise<WhatsAppSendError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(WhatsAppSendError);
  return error as WhatsAppSendError;
}

describe('MetaCloudSender', () => {
  let meta: FakeProvider;
  let sender: MetaCloudSender;
  beforeAll(async () => {
    meta = await startFakeMeta();
  });
  afterAll(async () => meta.close());
  beforeEach(() => {
    meta.requests.length = 0;
    meta.violations.length = 0;
    // A generous timeout: a busy CI machine must not turn an answered request into a timeout. The timeout
    // test below makes its own sender with a short one.
    sender = new MetaCloudSender({ ...metaConfig, graphUrl: `${meta.url}/`, timeoutMs: 10_000 });
  });

  it('posts the documented text-message body with the bearer token and returns messages[0].id', async () => {
    const sent = await sender.sendText({ to: customer, text: 'Seu protocolo é 2026000123.' });
    expect(sent).toEqual({ messageId: 'wamid.FAKE000001', status: 'accepted', instance: FAKE_META_DEFAULTS.phoneNumberId });
    expect(meta.violations).toEqual([]);
    expect(meta.requests[0]?.body).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', to: '5511900000041', type: 'text',
      text: { preview_url: false, body: 'Seu protocolo é 2026000123.' },
    });
  });

  it.each([
    [429, 'RATE_LIMITED', true, graphError(130429, 'Rate limit hit')],
    [400, 'RATE_LIMITED', true, graphError(131056, '(Business Account, Consumer Account) pair rate limit hit')],
    [500, 'PROVIDER_UNAVAILABLE', true, graphError(1, 'An unknown error occurred')],
    [503, 'PROVIDER_UNAVAILABLE', true, 'upstream connect error'],
    [400, 'INVALID_RECIPIENT', false, graphError(131030, 'Recipient phone number not in allowed list')],
    [400, 'PROVIDER_REJECTED', false, graphError(131047, 'Re-engagement message')],
    [401, 'PROVIDER_AUTH', false, graphError(190, 'Error validating access token: Session has expired')],
    [400, 'PROVIDER_REJECTED', false, graphError(100, 'Invalid parameter')],
  ])('maps HTTP %i to %s (retryable: %s)', async (status, code, retryable, body) => {
    meta.inject({ kind: 'status', status, body });
    const error = await failure(sender.sendText({ to: customer, text: 'oi' }));
    expect(error).toMatchObject({ code, retryable });
    expect(error.message).toMatch(retryable ? /retrying later can help/ : /retrying will not help/);
  });

  it('gives up after its timeout with a retryable error when Meta is slow', async () => {
    meta.inject({ kind: 'delay', ms: 3000 });
    const impatient = new MetaCloudSender({ ...metaConfig, graphUrl: `${meta.url}/`, timeoutMs: 300 });
    const error = await failure(impatient.sendText({ to: customer, text: 'oi' }));
    expect(error).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
  });

  it('reports a wrong token as an auth problem (the fake checks the header)', async () => {
    const wrong = new MetaCloudSender({ ...metaConfig, accessToken: 'expired', graphUrl: meta.url });
    expect(await failure(wrong.sendText({ to: customer, text: 'oi' }))).toMatchObject({ code: 'PROVIDER_AUTH', retryable: false });
  });

  it('refuses groups without calling Meta', async () => {
    const error = await failure(sender.sendText({ to: parseRecipient('120363025246125486@g.us'), text: 'oi' }));
    expect(error).toMatchObject({ code: 'UNSUPPORTED_RECIPIENT', retryable: false });
    expect(meta.requests).toHaveLength(0);
  });

  it('treats an unreachable Graph URL as retryable', async () => {
    const down = new MetaCloudSender({ ...metaConfig, graphUrl: 'http://127.0.0.1:1' });
    expect(await failure(down.sendText({ to: customer, text: 'oi' }))).toMatchObject({ code: 'PROVIDER_UNREACHABLE', retryable: true });
  });
});

describe('EvolutionSender', () => {
  let evolution: FakeProvider;
  let sender: EvolutionSender;
  beforeAll(async () => {
    evolution = await startFakeEvolution();
  });
  afterAll(async () => evolution.close());
  beforeEach(() => {
    evolution.requests.length = 0;
    evolution.violations.length = 0;
    sender = new EvolutionSender({ baseUrl: evolution.url, apiKey: FAKE_EVOLUTION_DEFAULTS.apiKey, instance: FAKE_EVOLUTION_DEFAULTS.instance, timeoutMs: 10_000 });
  });

  it('posts { number, text } with the apikey header and returns key.id', async () => {
    const sent = await sender.sendText({ to: customer, text: 'Recebemos sua mensagem.' });
    expect(sent).toEqual({ messageId: '3EB0FAKE00000000000001', status: 'accepted', instance: 'zapflow-atendimento' });
    expect(evolution.violations).toEqual([]);
    expect(evolution.requests[0]).toMatchObject({ path: '/message/sendText/zapflow-atendimento', body: { number: '5511900000041', text: 'Recebemos sua mensagem.' } });
  });

  it('sends to a group JID as is, and to another instance when asked', async () => {
    await sender.sendText({ to: parseRecipient('120363025246125486@g.us'), text: 'Alerta' });
    expect(evolution.requests[0]?.body).toEqual({ number: '120363025246125486@g.us', text: 'Alerta' });
    const error = await failure(sender.sendText({ to: customer, text: 'oi', instance: 'other' }));
    expect(error).toMatchObject({ code: 'PROVIDER_REJECTED', retryable: false });
    expect(error.message).toContain('instance "other" was not found');
  });

  it.each([
    [400, 'INVALID_RECIPIENT', false, { status: 400, error: 'Bad Request', response: { message: [{ jid: '5511900000041@s.whatsapp.net', exists: false, number: '5511900000041' }] } }],
    [429, 'RATE_LIMITED', true, { status: 429, error: 'Too Many Requests' }],
    [500, 'PROVIDER_UNAVAILABLE', true, { status: 500, error: 'Internal Server Error', response: { message: 'Connection Closed' } }],
    [401, 'PROVIDER_AUTH', false, { status: 401, error: 'Unauthorized' }],
  ])('maps HTTP %i to %s (retryable: %s)', async (status, code, retryable, body) => {
    evolution.inject({ kind: 'status', status, body });
    expect(await failure(sender.sendText({ to: customer, text: 'oi' }))).toMatchObject({ code, retryable });
  });

  it('gives up after its timeout with a retryable error', async () => {
    evolution.inject({ kind: 'delay', ms: 3000 });
    const impatient = new EvolutionSender({ baseUrl: evolution.url, apiKey: FAKE_EVOLUTION_DEFAULTS.apiKey, instance: FAKE_EVOLUTION_DEFAULTS.instance, timeoutMs: 300 });
    expect(await failure(impatient.sendText({ to: customer, text: 'oi' }))).toMatchObject({ code: 'PROVIDER_TIMEOUT', retryable: true });
  });
});
