/**
 * Exactly-once alerts end to end: outbox rows → OutboxDispatcher → McpNotifier / McpCustomerMessenger →
 * MCP client → WhatsApp MCP server → fake Meta on 127.0.0.1, on every storage (memory, SQLite, Postgres).
 *
 * "zapflow killed between commit and delivery" is process A: it claims every row, sends some of them and
 * dies before recording anything (its storage writes after the claim fail, like a dead process's would).
 * Process B comes up after A's claims expire, with Meta failing (500, 429) on the way. In the end every
 * alert reached every agent exactly once — counted on what the fake Meta accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { whatsAppDeliverers } from '../../../src/service/outbox-deliverers.js';
import { OUTBOX_TOPICS, effects, outboxMessageOf } from '../../../src/service/outbox.js';
import { OutboxDispatcher } from '../../../src/service/outbox-dispatcher.js';
import type { OutboxDeliverer } from '../../../src/service/outbox-dispatcher.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import { PostgresStorage } from '../../../src/engine/storage/postgres.js';
import { SqliteStorage } from '../../../src/engine/storage/sqlite.js';
import type { Storage } from '../../../src/engine/storage/types.js';
import { McpCustomerMessenger } from '../../../src/mcp/client/customer-messenger.js';
import { McpNotifier } from '../../../src/mcp/client/notifier.js';
import { WhatsAppMcpClient } from '../../../src/mcp/client/whatsapp-client.js';
import { MetaCloudSender } from '../../../src/mcp/senders/meta.js';
import { createInProcessWhatsApp } from '../../../src/mcp/server/in-process.js';
import { FAKE_META_DEFAULTS, graphError, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';
import { ManualClock } from '../../helpers/mcp-clock.js';
import { freshSchema } from '../../helpers/postgres.js';
import type { TestSchema } from '../../helpers/postgres.js';

const AGENTS = ['+5511900000098', '+5511900000099'];
const CLAIM_TTL = 60_000;
const tempDir = mkdtempSync(join(tmpdir(), 'zapflow-outbox-'));

let postgres: TestSchema | undefined;
let tables = 0;
const storages: Array<[string, () => Storage]> = [
  ['memory', () => new MemoryStorage()],
  ['sqlite', () => new SqliteStorage({ dbFile: join(tempDir, `outbox-${++tables}.db`) })],
  ['postgres', () => new PostgresStorage({ dbUrl: postgres?.databaseUrl, schema: postgres?.schema, tableName: `outbox${++tables}_`, poolSize: 2 })],
];

beforeAll(async () => {
  postgres = await freshSchema('mcp_outbox');
});

/** A process that dies right after claiming: every storage write after the claim is lost. */
function diesAfterClaim(storage: Storage): Pick<Storage, 'claimOutbox' | 'markOutboxDelivered' | 'markOutboxFailed'> {
  const dead = async (): Promise<never> => {
    throw new Error('process killed');
  };
  return { claimOutbox: (...args) => storage.claimOutbox(...args), markOutboxDelivered: dead, markOutboxFailed: dead };
}

describe.each(storages)('exactly-once WhatsApp delivery through the outbox (%s storage)', (_kind, createStorage) => {
  let meta: FakeProvider;
  let storage: Storage;
  let client: WhatsAppMcpClient;
  let clock: ManualClock;
  let deliverers: Record<string, OutboxDeliverer>;

  beforeAll(async () => {
    meta = await startFakeMeta();
  });
  afterAll(async () => {
    await meta.close();
  });
  beforeEach(async () => {
    meta.requests.length = 0;
    storage = createStorage();
    await storage.init();
    clock = new ManualClock();
    const sender = new MetaCloudSender({ accessToken: FAKE_META_DEFAULTS.token, phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId, graphUrl: meta.url, timeoutMs: 2000 });
    client = new WhatsAppMcpClient({ server: createInProcessWhatsApp({ sender }).target, callTimeoutMs: 5000 });
    deliverers = whatsAppDeliverers({ notifier: new McpNotifier(client, { recipients: AGENTS }), messenger: new McpCustomerMessenger(client) });
  });
  afterEach(async () => {
    await client.close();
    await storage.close();
    expect(meta.violations).toEqual([]);
  });

  async function enqueueHandoffs(count: number): Promise<void> {
    for (let i = 1; i <= count; i++) {
      const conversationKey = `meta:55119000001${String(i).padStart(2, '0')}`;
      await storage.enqueueOutbox([
        { ...outboxMessageOf(effects.toAgents(`run-${i}/handoff/notify`, {
          protocolNumber: `2026000${i}`, conversationKey, urgency: 'high', reason: 'pediu atendente', text: `Novo atendimento: protocolo 2026000${i}`,
        })), runId: `run-${i}` },
        { ...outboxMessageOf(effects.toCustomer(`run-${i}/handoff/ack`, conversationKey, `Seu protocolo é 2026000${i}. Um atendente já vai falar com você.`)), runId: `run-${i}` },
      ], clock.now());
    }
  }

  /** Drains again and again, moving the clock past any backoff, until nothing is pending. */
  async function deliverEverything(dispatcher: OutboxDispatcher): Promise<void> {
    for (let round = 0; round < 20; round++) {
      await dispatcher.drain();
      if ((await storage.listOutbox({ status: 'pending' })).length === 0 && (await storage.listOutbox({ status: 'delivering' })).length === 0) return;
      clock.advance(CLAIM_TTL);
    }
    throw new Error('outbox did not settle in 20 rounds');
  }

  it('delivers every alert exactly once after a process dies between commit and delivery', async () => {
    await enqueueHandoffs(4);
    // Process A: sends the rows of the first two conversations, then dies before recording anything.
    let sentByA = 0;
    const crashing: Record<string, OutboxDeliverer> = Object.fromEntries(Object.entries(deliverers).map(([topic, deliverer]) => [topic, {
      deliver: async (row) => {
        if (!/^run-[12]\//.test(row.key)) throw new Error('process killed before sending');
        sentByA++;
        return deliverer.deliver(row);
      },
    }]));
    const processA = new OutboxDispatcher({ storage: diesAfterClaim(storage), deliverers: crashing, clock, claimTtlMs: CLAIM_TTL, owner: 'process-a' });
    await processA.drain();
    expect(sentByA).toBe(4);
    expect(await storage.listOutbox({ status: 'delivering' })).toHaveLength(8);
    const acceptedByA = meta.accepted.length;
    expect(acceptedByA).toBe(2 * AGENTS.length + 2);

    // Process B starts after A's claims expired; Meta fails twice on the way.
    meta.inject({ kind: 'status', status: 500, body: graphError(131000, 'Something went wrong') }, { kind: 'status', status: 429, body: graphError(130429, 'Rate limit hit') });
    const processB = new OutboxDispatcher({ storage, deliverers, clock, claimTtlMs: CLAIM_TTL, owner: 'process-b', random: () => 0.5 });
    expect(await processB.drain()).toEqual({ delivered: 0, retried: 0, dead: 0 });
    clock.advance(CLAIM_TTL + 1);
    await deliverEverything(processB);

    const rows = await storage.listOutbox({});
    expect(rows.map((row) => row.status)).toEqual(Array.from({ length: 8 }, () => 'delivered'));
    // Exactly once per (recipient, text): 4 alerts × 2 agents + 4 acknowledgements.
    const sent = meta.accepted.map((r) => { const body = r.body as { to: string; text: { body: string } }; return `${body.to}|${body.text.body}`; });
    expect(sent).toHaveLength(4 * AGENTS.length + 4);
    expect(new Set(sent).size).toBe(sent.length);
    // Rows keep the provider's ids; for rows A had sent, they are the ids of A's messages (deduplicated).
    const acceptedIds = new Set(meta.accepted.map((r) => r.messageId));
    for (const row of rows) {
      const ids = row.topic === OUTBOX_TOPICS.agentAlert
        ? (row.result as { deliveries: Array<{ messageId: string }> }).deliveries.map((d) => d.messageId)
        : [(row.result as { messageId: string }).messageId];
      for (const id of ids) expect(acceptedIds.has(id)).toBe(true);
    }
    const retriedRows = rows.filter((row) => row.lastError);
    expect(retriedRows.length).toBeGreaterThan(0);
    expect(retriedRows.map((row) => row.lastError).join(' ')).toMatch(/PROVIDER_UNAVAILABLE|RATE_LIMITED|ALERT_DELIVERY_FAILED/);
  });

  it('a rerun step (same key enqueued again) never sends twice', async () => {
    await enqueueHandoffs(1);
    const dispatcher = new OutboxDispatcher({ storage, deliverers, clock });
    await deliverEverything(dispatcher);
    await enqueueHandoffs(1);
    await deliverEverything(dispatcher);
    expect(meta.accepted).toHaveLength(AGENTS.length + 1);
  });

  it('a number Meta refuses makes the row dead, visible to admins, and retriable once fixed', async () => {
    await storage.enqueueOutbox([outboxMessageOf(effects.toCustomer('run-9/reply', 'meta:5511900000199', 'Olá'))], clock.now());
    meta.inject({ kind: 'status', status: 400, body: graphError(131030, 'Recipient phone number not in allowed list') });
    const dispatcher = new OutboxDispatcher({ storage, deliverers, clock });
    expect(await dispatcher.drain()).toEqual({ delivered: 0, retried: 0, dead: 1 });
    const [dead] = await storage.listOutbox({ status: 'dead' });
    expect(dead?.lastError).toContain('INVALID_RECIPIENT');
    expect(dead?.lastError).toContain('retrying will not help');

    expect(await storage.retryOutbox(dead?.id as number, clock.now())).toBe(true);
    expect(await dispatcher.drain()).toEqual({ delivered: 1, retried: 0, dead: 0 });
    expect(meta.accepted).toHaveLength(1);
  });
});

afterAll(async () => {
  rmSync(tempDir, { recursive: true, force: true });
  await postgres?.drop();
});
