/**
 * `/readyz` reflects a backlog that is not moving: messages acked and stored but no turn finishing (here the
 * model hangs; in the attack run, conversations stranded after a database outage) make the probe answer 503
 * with the reason, while storage and MCP look fine; it is ready again once messages are processed. Before,
 * `/readyz` said ready while customers waited forever.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { FakeAnthropic } from '../../helpers/fake-anthropic.js';
import { supportModel } from '../../helpers/fake-support-model.js';
import { freePort, ServeProcess } from '../../helpers/serve-process.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';

let fake: FakeAnthropic;
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-backlog-ready-'));
beforeAll(async () => {
  fake = await FakeAnthropic.start();
  // Every classification takes 7 s: longer than the 5 s the backlog may stand still (a turn makes several).
  fake.otherwise(supportModel({ classifyDelayMs: 7_000, escalationDelayMs: 100 }));
});
afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function readiness(url: string): Promise<{ status: number; checks: Record<string, string> }> {
  // The reasons are for the admin token's bearer (anyone else reads `failing`).
  const response = await fetch(`${url}/readyz`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
  return { status: response.status, checks: ((await response.json()) as { checks: Record<string, string> }).checks };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('readiness while the backlog does not move', () => {
  it('answers 503 with the reason, then ready again once the message is processed', async () => {
    const service = new ServeProcess(await freePort(), {
      ...serviceEnv(dataDir, { COALESCE_WINDOW_MS: '50', BACKLOG_STALL_SECONDS: '5', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.baseURL, ANTHROPIC_TIMEOUT_MS: '120000' }),
      DATABASE_URL: '',
    });
    try {
      await service.start();
      expect((await readiness(service.url)).status).toBe(200);
      const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: '5511900004901', text: 'como faço pra pedir a segunda via do boleto?' });
      expect((await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);

      const stuck = await until(() => readiness(service.url), (r) => r.status === 503, 60_000, '/readyz to report the stalled backlog');
      expect(stuck.checks.backlog).toMatch(/^backlog not moving: a message has waited \d+ s and none was processed for \d+ s$/);
      expect(stuck.checks.storage).toBe('ok');

      await until(() => readiness(service.url), (r) => r.status === 200, 180_000, '/readyz to be ready once the turn finished');
      const key = encodeURIComponent('meta:100000000000002:5511900004901');
      const view = (await (await fetch(`${service.url}/admin/conversations/${key}`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } })).json()) as {
        recentMessages: Array<{ kind: string }>;
      };
      expect(view.recentMessages.filter((m) => m.kind === 'bot_reply')).toHaveLength(1);
    } finally {
      await service.stop();
    }
  }, 300_000);
});
