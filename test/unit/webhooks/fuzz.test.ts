/**
 * Fuzz: thousands of random and mutated webhook requests per provider, sent through the real router over
 * real HTTP on one server. Whatever arrives, the answer is 2xx or 4xx (never 5xx), the server stays up,
 * and `accept` sees only batches that pass the schemas, and only for 2xx answers.
 *
 * Mutated Meta bodies are mostly re-signed with the test app secret, so the parsing and normalization
 * paths are what gets fuzzed, not just the 401 path.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcceptedBatchSchema, InboundMessageSchema, metaWireStringify, signMetaBody } from '../../../src/webhooks/index.js';
import { fixtureBody, loadWebhookManifest } from '../../helpers/webhook-fixtures.js';
import { bodyArb, extraHeadersArb, hasRefusedEncoding } from '../../helpers/webhook-mutations.js';
import { type WebhookResponse, type WebhookTestServer, startWebhookServer } from '../../helpers/webhook-server.js';

const RUNS_PER_PROVIDER = 1_000;
const manifest = loadWebhookManifest();
const { appSecret } = manifest.secrets.meta;
const evolutionSecret = manifest.secrets.evolution.secret;

async function bodiesOf(provider: 'meta' | 'evolution'): Promise<Buffer[]> {
  const fixtures = manifest.fixtures.filter((fixture) => fixture.provider === provider && !fixture.generated);
  return Promise.all(fixtures.map((fixture) => fixtureBody(fixture)));
}

/** Tallies outcomes so the test can prove the interesting paths were really reached. */
class Outcomes {
  readonly byStatus = new Map<number, number>();
  withInbound = 0;
  record(status: number, inbound: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    if (inbound > 0) this.withInbound += 1;
  }
  count(status: number): number {
    return this.byStatus.get(status) ?? 0;
  }
}

describe('webhook fuzz', () => {
  let server: WebhookTestServer;
  beforeAll(async () => {
    server = await startWebhookServer();
  });
  afterAll(async () => server.close());

  /** The invariants every answer must satisfy; returns the inbound count of an accepted batch. */
  function checkAnswer(response: WebhookResponse, callsBefore: number, label: string): number {
    const ok = response.status >= 200 && response.status < 300;
    expect(ok || (response.status >= 400 && response.status < 500), `${label}: answered ${response.status} ${response.text}`).toBe(true);
    if (!ok) {
      expect(server.acceptCalls(), `${label}: accept called for a ${response.status}`).toBe(callsBefore);
      return 0;
    }
    expect(server.acceptCalls(), `${label}: a 2xx without exactly one accept`).toBe(callsBefore + 1);
    const batch = server.batches[server.batches.length - 1];
    const parsed = AcceptedBatchSchema.safeParse(batch);
    expect(parsed.success, `${label}: batch fails its schema: ${parsed.error?.message ?? ''}`).toBe(true);
    for (const message of batch?.messages ?? []) expect(InboundMessageSchema.safeParse(message).success).toBe(true);
    return batch?.messages.length ?? 0;
  }

  async function stillServing(): Promise<void> {
    const fixture = manifest.fixtures.find((item) => item.file === 'meta/text.json');
    if (!fixture) throw new Error('fixture missing');
    const response = await server.post('/webhooks/whatsapp', await fixtureBody(fixture), fixture.headers);
    expect(response.status).toBe(200);
  }

  it(`Meta: ${RUNS_PER_PROVIDER} random and mutated deliveries get only 2xx/4xx and valid batches`, async () => {
    const outcomes = new Outcomes();
    const signing = fc.oneof(
      { weight: 12, arbitrary: fc.constant('valid') },
      { weight: 1, arbitrary: fc.constantFrom('missing', 'wrong-secret', 'sha1-only', 'unprefixed', 'garbage') },
    );
    const requestArb = fc.record({
      body: bodyArb(await bodiesOf('meta'), metaWireStringify, (junk) => ({
        object: 'whatsapp_business_account',
        entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '1' }, messages: [junk], statuses: [junk] } }] }],
      })),
      signing,
      headers: extraHeadersArb,
      path: fc.constantFrom('/webhooks/whatsapp', '/webhooks/meta'),
    });

    await fc.assert(
      fc.asyncProperty(requestArb, async ({ body: { how, body }, signing: mode, headers, path }) => {
        const signature: Record<string, string> = {
          valid: { 'x-hub-signature-256': signMetaBody(body, appSecret) },
          missing: {},
          'wrong-secret': { 'x-hub-signature-256': signMetaBody(body, 'not-the-secret') },
          'sha1-only': { 'x-hub-signature': 'sha1=0000000000000000000000000000000000000000' },
          unprefixed: { 'x-hub-signature-256': signMetaBody(body, appSecret).slice(7) },
          garbage: { 'x-hub-signature-256': 'sha256=zz' },
        }[mode] ?? {};
        const callsBefore = server.acceptCalls();
        const response = await server.post(path, body, { ...headers, ...signature });
        // A compressed body is refused (415) when it is read, which for a well-formed but wrong signature
        // comes before the HMAC; every other forged request is 401.
        const refusedEncoding = hasRefusedEncoding(headers);
        if (mode !== 'valid') expect(refusedEncoding && mode === 'wrong-secret' ? [401, 415] : [401]).toContain(response.status);
        if (refusedEncoding && response.status !== 401) expect(response.status).toBe(415);
        outcomes.record(response.status, checkAnswer(response, callsBefore, `meta ${how}/${mode}`));
      }),
      { numRuns: RUNS_PER_PROVIDER },
    );

    await stillServing();
    console.info(`${RUNS_PER_PROVIDER} runs:`, Object.fromEntries(outcomes.byStatus), `with inbound: ${outcomes.withInbound}`);
    // The fuzz reached every layer: refused signatures, malformed bodies, and normalized customer messages.
    expect(outcomes.count(401)).toBeGreaterThan(20);
    expect(outcomes.count(400)).toBeGreaterThan(100);
    expect(outcomes.withInbound).toBeGreaterThan(40); // ~75 expected: only a third of the Meta fixtures carry customer text
    expect([...outcomes.byStatus.keys()].every((status) => status < 500)).toBe(true);
  });

  it(`Evolution: ${RUNS_PER_PROVIDER} random and mutated deliveries get only 2xx/4xx and valid batches`, async () => {
    const outcomes = new Outcomes();
    const credential = fc.oneof(
      { weight: 12, arbitrary: fc.constant<Record<string, string>>({ apikey: evolutionSecret }) },
      { weight: 1, arbitrary: fc.constant<Record<string, string>>({ authorization: `Bearer ${evolutionSecret}` }) },
      {
        weight: 2,
        arbitrary: fc.constantFrom<Record<string, string>>({}, { apikey: 'FAKE0000-0000-4000-8000-00000000E001' }, { apikey: `${evolutionSecret} x` }, { authorization: 'Bearer a.b.c' }),
      },
    );
    const pathArb = fc.oneof(
      fc.constant('/webhooks/evolution'),
      fc.constant('/webhooks/evolution/zapflow-atendimento'),
      fc.constant('/webhooks/evolution/messages-upsert'),
      fc.string({ minLength: 1, maxLength: 40 }).map((segment) => `/webhooks/evolution/${encodeURIComponent(segment)}`),
      fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ minLength: 1, maxLength: 20 })).map(([a, b]) => `/webhooks/evolution/${encodeURIComponent(a)}/${encodeURIComponent(b)}`),
    );
    const requestArb = fc.record({
      body: bodyArb(await bodiesOf('evolution'), JSON.stringify, (junk) => ({
        event: 'messages.upsert',
        instance: 'zapflow-atendimento',
        data: { key: { remoteJid: '5511900000001@s.whatsapp.net', id: 'FAKE1' }, message: junk, contextInfo: junk, messageTimestamp: junk },
      })),
      credential,
      headers: extraHeadersArb,
      path: pathArb,
    });

    await fc.assert(
      fc.asyncProperty(requestArb, async ({ body: { how, body }, credential: auth, headers, path }) => {
        const callsBefore = server.acceptCalls();
        const response = await server.post(path, body, { ...headers, ...auth });
        const authentic = auth.apikey === evolutionSecret || auth.authorization === `Bearer ${evolutionSecret}`;
        if (!authentic) expect(response.status).toBe(401);
        else if (hasRefusedEncoding(headers)) expect(response.status).toBe(415);
        outcomes.record(response.status, checkAnswer(response, callsBefore, `evolution ${how} ${path}`));
      }),
      { numRuns: RUNS_PER_PROVIDER },
    );

    await stillServing();
    console.info(`${RUNS_PER_PROVIDER} runs:`, Object.fromEntries(outcomes.byStatus), `with inbound: ${outcomes.withInbound}`);
    expect(outcomes.count(401)).toBeGreaterThan(20);
    expect(outcomes.count(400)).toBeGreaterThan(100);
    expect(outcomes.withInbound).toBeGreaterThan(50); // ~110 expected
    expect([...outcomes.byStatus.keys()].every((status) => status < 500)).toBe(true);
  });
});

