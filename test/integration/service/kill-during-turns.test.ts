/**
 * "Nothing acked is ever lost", under the crash that used to lose messages: a customer's second message is
 * acknowledged while the turn for their first one is running (the model takes hundreds of ms, as Claude
 * does), and the real `zapflow serve` process is SIGKILLed several times while many such turns are in flight.
 *
 * Before the fix, the restarted service resumed the killed turn's run for the old AND the new messages,
 * reused its stored result (whose input held only the old one) and marked both `done`: the second message
 * got no reply and no handoff. Now every acknowledged message must end processed by a turn whose input
 * contained it, exactly once (bench/webhook-verify.ts, the webhook bench's verifier), and every customer
 * who asked for a person has exactly one handoff alert (one protocol) across the kills.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { postgresBenchDatabase, readSentLog, sqliteBenchDatabase, verify, type BenchDatabase } from '../../../bench/webhook-verify.js';
import { FakeAnthropic } from '../../helpers/fake-anthropic.js';
import { supportModel } from '../../helpers/fake-support-model.js';
import { testDatabaseUrl } from '../../helpers/postgres.js';
import { freePort, ServeProcess } from '../../helpers/serve-process.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';

const CUSTOMERS = 30;
const KILLS = 3;
const FIRST = 'como faço pra pedir a segunda via do boleto?';
const ESCALATE = 'fiz um pix de R$ 5.000 que não caiu, quero falar com um atendente';
const SECOND = 'e também quero saber o limite do cartão';

const phoneOf = (customer: number) => `55119000${String(4000 + customer).padStart(5, '0')}`;
const escalates = (customer: number) => customer % 3 === 0;

let fake: FakeAnthropic;
/** Called by the fake model with each request's transcript (set per test). */
let seen: (transcript: string) => void = () => {};

beforeAll(async () => {
  fake = await FakeAnthropic.start();
  fake.otherwise(supportModel({ classifyDelayMs: 40, escalationDelayMs: 300, onConversation: (transcript) => seen(transcript) }));
});
afterAll(async () => {
  await fake.close();
});

async function until(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Store {
  name: string;
  env(dataDir: string, prefix: string): Record<string, string>;
  database(dataDir: string, prefix: string): BenchDatabase & { drop?(): Promise<void> };
}

const STORES: Store[] = [
  {
    name: 'SQLite',
    env: () => ({ DATABASE_URL: '' }),
    database: (dataDir, prefix) => sqliteBenchDatabase(join(dataDir, 'zapflow.db'), prefix),
  },
  {
    name: 'Postgres',
    env: () => ({ DATABASE_URL: testDatabaseUrl() }),
    database: (_dataDir, prefix) => postgresBenchDatabase(testDatabaseUrl(), prefix),
  },
];

describe.each(STORES)('SIGKILLs while second messages land inside running turns ($name)', (store) => {
  it('every acknowledged message is processed by a turn whose input held it, exactly once; one alert per handoff', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-kill-turns-'));
    const prefix = `zf_kill_${randomBytes(3).toString('hex')}_`;
    const database = store.database(dataDir, prefix);
    const service = new ServeProcess(await freePort(), {
      ...serviceEnv(dataDir, { COALESCE_WINDOW_MS: '50', ZAPFLOW_TABLE_PREFIX: prefix, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.baseURL }),
      ...store.env(dataDir, prefix),
    });
    const acked = new Set<string>();
    const sending: Array<Promise<void>> = [];
    let restarting: Promise<void> | undefined;
    try {
      await service.start();
      const base = Date.now();

      /** Posts until the service answers 200 (a provider redelivers the same message while we are down). */
      const deliver = (customer: number, text: string, messageId: string, sentAt: number): Promise<void> => {
        const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: phoneOf(customer), text, messageId, timestamp: sentAt });
        const attempt = async (): Promise<void> => {
          for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
            await restarting;
            const status = await fetch(`${service.url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body }).then((r) => r.status, () => 0);
            if (status === 200) {
              acked.add(messageId);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          throw new Error(`message ${messageId} was never acknowledged`);
        };
        const sent = attempt();
        sending.push(sent);
        return sent;
      };

      // The second message of each customer is sent as soon as the model sees their first one: it is acked
      // while that turn runs (the model answers after tens to hundreds of ms).
      const secondSent = new Set<number>();
      seen = (transcript) => {
        for (const match of transcript.matchAll(/\[customer\] cliente (\d+):/g)) {
          const customer = Number(match[1]);
          if (secondSent.has(customer)) continue;
          secondSent.add(customer);
          void deliver(customer, `cliente ${customer}: ${SECOND}`, `wamid.KILL.${prefix}${customer}.2`, base + customer * 10_000 + 5000);
        }
      };

      for (let customer = 0; customer < CUSTOMERS; customer++) {
        void deliver(customer, `cliente ${customer}: ${escalates(customer) ? ESCALATE : FIRST}`, `wamid.KILL.${prefix}${customer}.1`, base + customer * 10_000);
        await new Promise((resolve) => setTimeout(resolve, 80));
      }

      // Kill while turns are running: each time another quarter of the second messages has been acked.
      for (let kill = 1; kill <= KILLS; kill++) {
        const secondsAcked = () => [...acked].filter((id) => id.endsWith('.2')).length;
        await until(() => secondsAcked() >= Math.floor((CUSTOMERS * kill) / (KILLS + 1)), 90_000, `${kill}/${KILLS + 1} of the second messages acked`);
        await service.kill();
        restarting = service.start();
        await restarting;
        restarting = undefined;
      }

      await until(() => secondSent.size === CUSTOMERS, 90_000, 'the model to see every first message');
      await Promise.all(sending);
      expect(acked.size).toBe(CUSTOMERS * 2);
      await until(async () => {
        const backlog = await database.backlog();
        return backlog.inbox === 0 && backlog.outbox === 0 && backlog.runs === 0;
      }, 120_000, 'every message processed, every reply delivered');
      await service.stop();

      const snapshot = await database.snapshot();
      const verification = verify([...acked], snapshot, database.sentLog ? await database.sentLog() : readSentLog(join(dataDir, 'mcp-whatsapp.sqlite')));
      expect(verification.problems).toEqual([]);
      expect({ lost: verification.lost, unprocessed: verification.unprocessed, duplicated: verification.duplicated }).toEqual({ lost: 0, unprocessed: 0, duplicated: 0 });
      // One handoff, one protocol, one alert per customer who asked for a person, across every kill.
      const alerts = snapshot.outbox.filter((row) => /^alert:\d+:0$/.test(row.key));
      const escalated = Array.from({ length: CUSTOMERS }, (_, customer) => customer).filter(escalates).length;
      expect(alerts).toHaveLength(escalated);
    } finally {
      seen = () => {};
      await service.kill();
      await database.drop?.().catch(() => {});
      await database.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
