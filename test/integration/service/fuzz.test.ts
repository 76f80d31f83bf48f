/**
 * Fuzz against the whole service (real HTTP, real inbox on SQLite, real workflows): random and mutated
 * Meta and Evolution deliveries, correctly signed so parsing paths run. Only 2xx/4xx, the process stays up,
 * and storage holds only complete rows that all get processed — nothing half-written, nothing stuck.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaWireStringify, signMetaBody } from '../../../src/webhooks/index.js';
import { fixtureBody, loadWebhookManifest } from '../../helpers/webhook-fixtures.js';
import { bodyArb, extraHeadersArb } from '../../helpers/webhook-mutations.js';
import { SECRETS, startService, type TestService } from '../../helpers/service.js';

const RUNS = 300;
let service: TestService;
beforeAll(async () => {
  service = await startService({ COALESCE_WINDOW_MS: '20' });
});
afterAll(async () => service.stop());

async function bodies(provider: 'meta' | 'evolution'): Promise<Buffer[]> {
  const manifest = loadWebhookManifest();
  const fixtures = manifest.fixtures.filter((f) => f.provider === provider && !f.generated);
  return Promise.all(fixtures.map((f) => fixtureBody(f)));
}

describe('fuzzed deliveries against the running service', () => {
  it(`${RUNS} Meta and ${RUNS / 2} Evolution requests: only 2xx/4xx, complete rows, all processed`, async () => {
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const meta = fc.record({ body: bodyArb(await bodies('meta'), metaWireStringify, (junk) => ({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '1' }, messages: [junk] } }] }] })), headers: extraHeadersArb });
    await fc.assert(
      fc.asyncProperty(meta, async ({ body: { body }, headers }) => {
        const response = await fetch(`${service.url}/webhooks/whatsapp`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, 'x-hub-signature-256': signMetaBody(body, SECRETS.metaAppSecret) }, body });
        count(response.status);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: RUNS, seed: 20261125 },
    );
    const evolution = fc.record({ body: bodyArb(await bodies('evolution'), JSON.stringify, (junk) => ({ event: 'messages.upsert', instance: 'loja', data: junk })), headers: extraHeadersArb });
    await fc.assert(
      fc.asyncProperty(evolution, async ({ body: { body }, headers }) => {
        const response = await fetch(`${service.url}/webhooks/evolution/loja`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers, apikey: SECRETS.evolutionSecret }, body });
        count(response.status);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: RUNS / 2, seed: 20261125 },
    );
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20); // the fuzz reached the inbox, not only the parsers' 400s

    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    await service.app.settle();
    expect(await service.app.serviceStore.conversationsWithPendingInbox()).toEqual([]);
    const conversations = await service.app.serviceStore.listConversations({ limit: 10_000 });
    expect(conversations.length).toBeGreaterThan(0);
    for (const conversation of conversations) {
      expect(conversation.conversationKey).toMatch(/^(meta|evolution):[^:]+:.+$/);
      for (const message of await service.app.serviceStore.recentMessages(conversation.conversationKey, 100)) {
        expect(['done', 'forwarded']).toContain(message.status);
        expect(message.text.length).toBeGreaterThan(0);
      }
    }
    const errors = await service.app.storage.listRuns({ status: 'error', limit: 10 });
    expect(errors.runs.map((r) => r.error?.message)).toEqual([]);
  }, 180_000);
});
