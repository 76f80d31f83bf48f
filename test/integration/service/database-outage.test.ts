/**
 * A database outage longer than the old give-up point (5 attempts, ~15 s) must not strand a conversation:
 * the message acked just before Postgres went away is processed once it is back, without a restart or a new
 * message from the customer (the dispatcher retries for as long as the batch fails, backoff capped at 30 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { freePort, ServeProcess } from '../../helpers/serve-process.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../helpers/throwaway-postgres.js';

const PHONE = '5511900004931';
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-db-outage-'));
let postgres: ThrowawayPostgres;
beforeAll(async () => {
  postgres = await startThrowawayPostgres();
}, 180_000);
afterAll(async () => {
  await postgres.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

async function botReplies(url: string): Promise<number> {
  const key = encodeURIComponent(`meta:100000000000002:${PHONE}`);
  const response = await fetch(`${url}/admin/conversations/${key}`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } }).catch(() => undefined);
  if (!response?.ok) return 0;
  const view = (await response.json()) as { recentMessages: Array<{ kind: string }> };
  return view.recentMessages.filter((m) => m.kind === 'bot_reply').length;
}

describe('Postgres down for longer than the old retry budget', () => {
  it('processes the message acked before the outage once the database is back', async () => {
    const service = new ServeProcess(await freePort(), { ...serviceEnv(dataDir, { COALESCE_WINDOW_MS: '3000' }), DATABASE_URL: postgres.url });
    try {
      await service.start(120_000);
      const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: PHONE, text: 'como faço pra pedir a segunda via do boleto?' });
      expect((await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);
      // Down before the coalescing window lets the turn start, for 25 s.
      await postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, 25_000));
      await postgres.start();

      let replies = 0;
      for (const deadline = Date.now() + 150_000; replies === 0 && Date.now() < deadline;) {
        replies = await botReplies(service.url);
        if (replies === 0) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(replies).toBe(1);
    } finally {
      await service.stop();
    }
  }, 400_000);
});
