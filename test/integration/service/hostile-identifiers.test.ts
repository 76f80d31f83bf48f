/**
 * Identifiers a provider (or an attacker with the secret) may send that a database cannot give back as
 * written: a lone UTF-16 surrogate (stored as U+FFFD) and control characters (Postgres refuses U+0000).
 * On both stores: the process stays up, a lone surrogate is acked and its message processed, a NUL is a
 * 400 (never a 503 the provider would retry forever), and nothing is left pending.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from '../../helpers/postgres.js';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { SECRETS, startService, type TestService } from '../../helpers/service.js';

const backends = [
  { name: 'sqlite', env: (): Record<string, string> => ({}) },
  { name: 'postgres', env: (prefix: string): Record<string, string> => ({ DATABASE_URL: testDatabaseUrl(), ZAPFLOW_TABLE_PREFIX: prefix }) },
] as const;

async function dropTables(prefix: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND starts_with(tablename, $1)", [prefix]);
    for (const { name } of rows) await client.query(`DROP TABLE IF EXISTS public."${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

describe.each(backends)('hostile identifiers on $name', (backend) => {
  const prefix = `hid_${randomBytes(3).toString('hex')}_`;
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ ...backend.env(prefix), COALESCE_WINDOW_MS: '20' });
  }, 60_000);
  afterAll(async () => {
    await service?.stop();
    if (backend.name === 'postgres') await dropTables(prefix);
  });

  it('a message id ending in a lone surrogate, among 10 concurrent webhooks, is acked and processed', async () => {
    const requests = Array.from({ length: 10 }, (_, i) =>
      service.meta(`55119876500${String(i).padStart(2, '0')}`, `quero saber do meu boleto ${i}`, { messageId: i === 4 ? `wamid.surrogate.${prefix}\ud800` : `wamid.ok.${prefix}${i}` }),
    );
    const statuses = await Promise.all(requests.map(async (request) => (await service.post(request)).status));
    expect(statuses).toEqual(Array(10).fill(200));

    // The same id again is a duplicate, not a second message: the stored spelling is the one compared.
    const again = await service.post(service.meta('5511987650004', 'quero saber do meu boleto 4', { messageId: `wamid.surrogate.${prefix}\ud800` }));
    expect(again.status).toBe(200);

    await service.app.settle();
    expect(await service.app.serviceStore.conversationsWithPendingInbox()).toEqual([]);
    const messages = await service.app.serviceStore.recentMessages(`meta:100000000000002:5511987650004`, 10);
    expect(messages.filter((m) => m.messageId.startsWith('wamid.')).map((m) => [m.messageId, m.status])).toEqual([[`wamid.surrogate.${prefix}\ufffd`, 'done']]);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('a lone surrogate in the customer or the Evolution instance is stored well-formed and processed', async () => {
    // The instance from the body (the route without one), since a URL cannot carry a lone surrogate.
    const request = service.evolution('5511987651111', 'oi, preciso de ajuda', { messageId: `EVO${prefix}1` });
    const body = JSON.parse(request.body.toString('utf8')) as { instance: string };
    body.instance = 'loja\udfff';
    const statuses = [
      (await service.post({ ...request, path: '/webhooks/evolution', body: Buffer.from(JSON.stringify(body), 'utf8') })).status,
      (await service.post(service.evolution('5511987652222', 'oi, preciso de ajuda', { name: 'Ana\ud83d', messageId: `EVO${prefix}2` }))).status,
    ];
    expect(statuses).toEqual([200, 200]);
    await service.app.settle();
    expect(await service.app.serviceStore.conversationsWithPendingInbox()).toEqual([]);
    const keys = (await service.app.serviceStore.listConversations({ limit: 100 })).map((c) => c.conversationKey);
    expect(keys).toContain('evolution:loja\ufffd:5511987651111');
  }, 60_000);

  it('a NUL or another control character in an identifier is a 400 naming the field, and nothing is stored', async () => {
    const before = (await service.app.serviceStore.listConversations({ limit: 1000 })).length;
    const nulId = await service.post(service.meta('5511987653333', 'oi', { messageId: `wamid.nul.${prefix}\u0000x` }));
    expect(nulId.status).toBe(400);
    expect(await nulId.json()).toMatchObject({ code: 'WEBHOOK_MALFORMED', error: expect.stringContaining('messageId') });

    const nulInstance = await service.post(service.evolution('5511987654444', 'oi', { instance: 'lo\u0000ja', messageId: `EVO${prefix}nul` }));
    expect(nulInstance.status).toBe(400);

    const controlChannel = await service.post(buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: '5511987655555', text: 'oi', phoneNumberId: '1000\u0001', messageId: `wamid.ctl.${prefix}` }));
    expect(controlChannel.status).toBe(400);

    expect((await service.app.serviceStore.listConversations({ limit: 1000 })).length).toBe(before);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
