/**
 * Authentication primitives: Meta's raw-body HMAC and Evolution's accepted credentials (static header,
 * bearer secret, `jwt_key` JWT), plus the same JWT over real HTTP.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signMetaBody, verifyEvolutionCredential, verifyMetaSignature } from '../../../src/webhooks/index.js';
import { fixtureBody, loadWebhookManifest } from '../../helpers/webhook-fixtures.js';
import { type WebhookTestServer, startWebhookServer } from '../../helpers/webhook-server.js';

const SECRET = 'test-evolution-secret';
const NOW = Date.UTC(2026, 8, 14, 12, 0, 0);

function jwt(claims: Record<string, unknown>, key = SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode(header)}.${encode(claims)}`;
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`;
}

/** Claims as Evolution's jwt_key mode issues them. */
const evolutionClaims = (issuedAt = NOW / 1000) => ({ iat: issuedAt, exp: issuedAt + 600, app: 'evolution', action: 'webhook' });

describe('Meta signature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts the HMAC-SHA256 of the raw bytes, in either hex case', () => {
    const signature = signMetaBody(body, 'app-secret');
    expect(verifyMetaSignature(body, signature, 'app-secret')).toBe(true);
    expect(verifyMetaSignature(body, `sha256=${signature.slice(7).toUpperCase()}`, 'app-secret')).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the sha256= prefix', signMetaBody(Buffer.from('x'), 'app-secret').slice(7)],
    ['a SHA-1 signature', `sha1=${createHmac('sha1', 'app-secret').update(body).digest('hex')}`],
    ['signed with another secret', signMetaBody(body, 'another-secret')],
    ['truncated', signMetaBody(body, 'app-secret').slice(0, 40)],
    ['two signatures joined (duplicate headers)', `${signMetaBody(body, 'app-secret')}, ${signMetaBody(body, 'app-secret')}`],
  ])('refuses a signature that is %s', (_label, header) => {
    expect(verifyMetaSignature(body, header, 'app-secret')).toBe(false);
  });

  it('refuses the right signature over different bytes of the same JSON', () => {
    const signature = signMetaBody(Buffer.from('{"a":"\\u00e3"}'), 'app-secret');
    expect(verifyMetaSignature(Buffer.from('{"a":"ã"}'), signature, 'app-secret')).toBe(false);
  });
});

describe('Evolution credential', () => {
  it.each([
    ['the apikey header', { apikey: SECRET }],
    ['Authorization: Bearer <secret>', { authorization: `Bearer ${SECRET}` }],
    ['a jwt_key JWT', { authorization: `Bearer ${jwt(evolutionClaims())}` }],
    ['a jwt_key JWT from a server whose clock is 30 s ahead', { authorization: `Bearer ${jwt(evolutionClaims(NOW / 1000 + 30))}` }],
  ])('accepts %s', (_label, headers) => {
    expect(verifyEvolutionCredential(headers, SECRET, NOW)).toBe(true);
  });

  it.each([
    ['no credential', {}],
    ['a wrong apikey', { apikey: 'not-the-secret' }],
    ['the instance token (what the body apikey carries)', { apikey: 'FAKE0000-0000-4000-8000-00000000E001' }],
    ['an apikey sent twice', { apikey: [SECRET, SECRET] }],
    ['a non-bearer Authorization', { authorization: `Basic ${SECRET}` }],
    ['an expired JWT', { authorization: `Bearer ${jwt(evolutionClaims(NOW / 1000 - 3600))}` }],
    ['a JWT signed with another key', { authorization: `Bearer ${jwt(evolutionClaims(), 'other-key')}` }],
    ['a JWT for another purpose', { authorization: `Bearer ${jwt({ ...evolutionClaims(), action: 'login' })}` }],
    ['an unsigned alg:none JWT', { authorization: `Bearer ${jwt(evolutionClaims(), SECRET, { alg: 'none' }).split('.').slice(0, 2).join('.')}.` }],
    ['a JWT with a non-HS256 alg', { authorization: `Bearer ${jwt(evolutionClaims(), SECRET, { alg: 'HS512' })}` }],
    ['a garbage token', { authorization: 'Bearer a.b.c' }],
  ])('refuses %s', (_label, headers) => {
    expect(verifyEvolutionCredential(headers, SECRET, NOW)).toBe(false);
  });
});

describe('Evolution jwt_key over HTTP', () => {
  let server: WebhookTestServer;
  beforeAll(async () => {
    server = await startWebhookServer({ now: () => NOW });
  });
  afterAll(async () => server.close());

  it('stores a delivery authenticated only by a valid JWT, and refuses an expired one', async () => {
    const fixture = loadWebhookManifest().fixtures.find((item) => item.file === 'evolution/messages-upsert-conversation.json');
    if (!fixture) throw new Error('fixture missing');
    const body = await fixtureBody(fixture);
    const ok = await server.post('/webhooks/evolution', body, { 'content-type': 'application/json', authorization: `Bearer ${jwt(evolutionClaims())}` });
    expect(ok.status).toBe(200);
    const expired = await server.post('/webhooks/evolution', body, {
      'content-type': 'application/json',
      authorization: `Bearer ${jwt(evolutionClaims(NOW / 1000 - 3600))}`,
    });
    expect(expired.status).toBe(401);
    expect(server.acceptCalls()).toBe(1);
  });
});
