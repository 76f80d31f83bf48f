/**
 * An agent claims a conversation while the bot's turn for it is running (the models take seconds): the bot
 * must not answer a conversation a person just took. The customer's message goes to the agents instead, and
 * the claim stands (and the customer hears only that the agent joined). Before, the bot read the status once
 * at the start of the turn and answered anyway.
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
import { AGENTS, SECRETS, serviceEnv } from '../../helpers/service.js';

const PHONE = '5511900004911';
const KEY = encodeURIComponent(`meta:100000000000002:${PHONE}`);
let fake: FakeAnthropic;
let service: ServeProcess;
let claimed: Promise<Response> | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-claim-turn-'));

beforeAll(async () => {
  fake = await FakeAnthropic.start();
  fake.otherwise(supportModel({
    classifyDelayMs: 30,
    // The escalation decision is the last model call before the bot answers: the claim lands meanwhile.
    escalationDelayMs: 3000,
    onConversation: (transcript) => {
      if (claimed === undefined && transcript.includes('Task: decide whether a human')) {
        claimed = fetch(`${service.url}/admin/conversations/${KEY}/claim`, {
          method: 'POST',
          headers: { authorization: `Bearer ${SECRETS.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ agent: 'ana' }),
        });
      }
    },
  }));
});
afterAll(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface View { handoff: { status: string; assignedAgent: string | null }; recentMessages: Array<{ kind: string; status: string; text: string }> }

/** What the claim itself tells the customer (AGENT_JOINED_TEXT): the only message they may get. */
const JOINED = 'Olá! Aqui é ana, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.';

describe('an agent claims the conversation during the bot\'s turn', () => {
  it('the bot stays silent, the agents get the message, the claim stands', async () => {
    service = new ServeProcess(await freePort(), {
      ...serviceEnv(dataDir, { COALESCE_WINDOW_MS: '50', ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.baseURL }),
      DATABASE_URL: '',
    });
    try {
      await service.start();
      const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: PHONE, text: 'como faço pra pedir a segunda via do boleto?' });
      expect((await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);

      let view: View | undefined;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
        const response = await fetch(`${service.url}/admin/conversations/${KEY}`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
        view = response.ok ? ((await response.json()) as View) : undefined;
        if (view?.recentMessages.some((m) => m.kind === 'text' && m.status === 'forwarded')) break;
        if (view?.recentMessages.some((m) => m.kind === 'bot_reply' && m.text !== JOINED)) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect((await claimed)?.status).toBe(200);
      expect(view?.recentMessages.filter((m) => m.kind === 'text').map((m) => [m.kind, m.status])).toEqual([['text', 'forwarded']]);
      expect(view?.recentMessages.filter((m) => m.kind === 'bot_reply').map((m) => m.text)).toEqual([JOINED]);
      expect(view?.handoff).toMatchObject({ status: 'human', assignedAgent: 'ana' });
      // The forward to the agents is an outbox row delivered after the turn: wait for it before stopping (a stop
      // leaves a row that is still due for the next start, as it should).
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const log = new SqliteSentMessageLog(join(dataDir, 'mcp-whatsapp.sqlite'));
        const sentSoFar = await log.list({ limit: 100 });
        await log.close();
        if (sentSoFar.some((r) => AGENTS.some((agent) => r.recipient.includes(agent)))) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await service.stop();
    }
    const log = new SqliteSentMessageLog(join(dataDir, 'mcp-whatsapp.sqlite'));
    const sent = await log.list({ limit: 100 });
    await log.close();
    // No bot answer: the customer only hears that the agent joined.
    expect(sent.filter((r) => r.recipient.includes(PHONE)).map((r) => r.text)).toEqual([JOINED]);
    expect(sent.filter((r) => AGENTS.some((agent) => r.recipient.includes(agent))).length).toBeGreaterThan(0);
  }, 300_000);
});
