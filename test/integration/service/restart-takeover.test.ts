/**
 * A process that restarts after a SIGKILL takes over its own dead predecessor's runs at once (it knows its
 * previous identity from the data directory and that this process is gone), instead of waiting 30 s for
 * their leases to lapse while the customer waits; the customer is still answered exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteSentMessageLog } from '../../../src/mcp/index.js';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { FakeAnthropic } from '../../helpers/fake-anthropic.js';
import { supportModel } from '../../helpers/fake-support-model.js';
import { freePort, ServeProcess } from '../../helpers/serve-process.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';

const PHONE = '5511900004921';
let fake: FakeAnthropic;
let escalationAsked: () => void = () => {};
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-takeover-'));

beforeAll(async () => {
  fake = await FakeAnthropic.start();
  fake.otherwise(supportModel({
    classifyDelayMs: 20,
    escalationDelayMs: 2000,
    onConversation: (transcript) => {
      if (transcript.includes('Task: decide whether a human')) escalationAsked();
    },
  }));
});
afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('restart after a SIGKILL during a turn', () => {
  it('resumes the killed run at once and answers the customer exactly once', async () => {
    const service = new ServeProcess(await freePort(), {
      ...serviceEnv(dataDir, { COALESCE_WINDOW_MS: '50', LOG_LEVEL: 'info', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.baseURL }),
      DATABASE_URL: '',
    }, { keepStdout: true });
    try {
      await service.start();
      const asked = new Promise<void>((resolve) => (escalationAsked = resolve));
      const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: PHONE, text: 'como faço pra pedir a segunda via do boleto?' });
      expect((await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);
      await asked; // the turn's run is in flight, its lease held for 30 s
      escalationAsked = () => {};
      await service.kill();

      await service.start();
      const takeover = () => service.stdout.split('\n').filter((line) => line.includes('taking over its work at once')).map((line) => JSON.parse(line) as { runs: number });
      for (const deadline = Date.now() + 60_000; takeover().length === 0 && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(takeover()).toHaveLength(1);
      expect(takeover()[0]!.runs).toBeGreaterThan(0);

      const key = encodeURIComponent(`meta:100000000000002:${PHONE}`);
      let replies = 0;
      for (const deadline = Date.now() + 120_000; replies === 0 && Date.now() < deadline;) {
        const view = (await (await fetch(`${service.url}/admin/conversations/${key}`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } })).json()) as {
          recentMessages: Array<{ kind: string }>;
        };
        replies = view.recentMessages.filter((m) => m.kind === 'bot_reply').length;
        if (replies === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(replies).toBe(1);
    } finally {
      await service.stop();
    }
    const log = new SqliteSentMessageLog(join(dataDir, 'mcp-whatsapp.sqlite'));
    const sent = await log.list({ limit: 100 });
    await log.close();
    expect(sent.filter((r) => r.recipient.includes(PHONE))).toHaveLength(1);
  }, 300_000);
});
