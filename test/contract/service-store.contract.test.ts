/**
 * The ServiceStore contract: the inbox and conversation tables behave the same on memory, SQLite and Postgres
 * (a real server, one schema per file). Each test gets its own database: a new SQLite file, or new tables (a
 * new prefix) in this file's Postgres schema. `open()` gives another instance on the same database, like a
 * second process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConversationChangedError, ConversationNotFoundError, MemoryServiceStore, PostgresServiceStore, SqliteServiceStore,
} from '../../src/conversations/store/index.js';
import type { InboxItem, ServiceStore } from '../../src/conversations/store/index.js';
import { PostgresStorage, SqliteStorage } from '../../src/engine/index.js';
import type { Storage } from '../../src/engine/index.js';
import { freshSchema } from '../helpers/postgres.js';
import type { TestSchema } from '../helpers/postgres.js';

interface Backend {
  name: 'memory' | 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A new empty database; returns a function that creates an instance on it (not yet initialised). */
  newDatabase(): () => ServiceStore;
  /** SQL backends: the engine storage on that same database (the service tables live beside the engine's). */
  engineOn?(store: ServiceStore): Storage;
}

const memory: Backend = {
  name: 'memory',
  async setup() {},
  async teardown() {},
  newDatabase() {
    const shared = new MemoryServiceStore(); // one process only: a "second instance" is the same store
    return () => shared;
  },
};

function sqlite(): Backend {
  let dir = '';
  let count = 0;
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'zapflow-service-store-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    newDatabase() {
      const dbFile = join(dir, `service${++count}.db`);
      return () => new SqliteServiceStore({ dbFile });
    },
    engineOn: (store) => new SqliteStorage({ dbFile: (store as SqliteServiceStore).dbFile }),
  };
}

function postgres(): Backend {
  let schema: TestSchema | undefined;
  let count = 0;
  return {
    name: 'postgres',
    async setup() {
      schema = await freshSchema('service_store_contract');
    },
    async teardown() {
      await schema?.drop();
    },
    newDatabase() {
      if (!schema) throw new Error('postgres backend: setup() did not run');
      const { databaseUrl, schema: name } = schema;
      const tableName = `s${++count}_`;
      return () => new PostgresServiceStore({ dbUrl: databaseUrl, schema: name, tableName, poolSize: 3 });
    },
    engineOn(store) {
      const { schema: name, tableName } = store as PostgresServiceStore;
      return new PostgresStorage({ dbUrl: schema!.databaseUrl, schema: name, tableName, poolSize: 2 });
    },
  };
}

const NOW = 1_700_000_000_000;

function message(conversationKey: string, n: number, overrides: Partial<InboxItem> = {}): InboxItem {
  return {
    provider: 'meta', messageId: `wamid.FAKE.${conversationKey}.${n}`, conversationKey, kind: 'text',
    customer: '5511900000001', text: `msg ${n}`, sentAt: NOW + n * 1000, ...overrides,
  };
}

const texts = (records: Array<{ text: string }>): string[] => records.map((record) => record.text);

describe.each([memory, sqlite(), postgres()])('ServiceStore contract: $name', (backend) => {
  let openInstance: () => ServiceStore;
  let opened: ServiceStore[] = [];
  let store: ServiceStore;

  async function open(): Promise<ServiceStore> {
    const instance = openInstance();
    opened.push(instance);
    await instance.init();
    return instance;
  }

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    openInstance = backend.newDatabase();
    store = await open();
  });
  afterEach(async () => {
    const closing = opened;
    opened = [];
    await Promise.all(closing.map((instance) => instance.close()));
  });

  it('stores each message once: duplicates inside a batch and later redeliveries are dropped, and only new ones are returned', async () => {
    const first = await store.insertInbox([message('c1', 1), message('c1', 2), message('c1', 1, { text: 'dup' })], NOW);
    expect(first).toEqual([
      { ...message('c1', 1), id: expect.any(Number), status: 'pending', receivedAt: NOW },
      { ...message('c1', 2), id: expect.any(Number), status: 'pending', receivedAt: NOW },
    ]);
    expect(first[1]!.id).toBeGreaterThan(first[0]!.id);
    const redelivery = await store.insertInbox([message('c1', 2), message('c1', 3)], NOW + 5000);
    expect(texts(redelivery)).toEqual(['msg 3']);
    expect(await store.insertInbox([], NOW)).toEqual([]);
    // Same message id from the other provider is a different message.
    expect(await store.insertInbox([message('c1', 1, { provider: 'evolution' })], NOW)).toHaveLength(1);
    expect(texts(await store.recentMessages('c1', 10))).toEqual(['msg 1', 'msg 1', 'msg 2', 'msg 3']);
  });

  it('creates the conversation on its first message and never overwrites it with later ones', async () => {
    await store.insertInbox([message('c1', 1, { name: 'Ana' }), message('c2', 1)], NOW);
    await store.insertInbox([message('c1', 2, { name: 'Someone else', customer: '5511999999999' })], NOW + 60_000);
    expect(await store.getConversation('c1')).toEqual({
      conversationKey: 'c1', provider: 'meta', customer: '5511900000001', name: 'Ana', handoffStatus: 'bot', realerts: 0,
      createdAt: NOW, updatedAt: NOW,
    });
    expect(await store.getConversation('c2')).not.toHaveProperty('name');
    expect(await store.getConversation('never-wrote')).toBeUndefined();
  });

  it("takes pending messages in the customer's order (sent time, then arrival) and marks them for the run", async () => {
    await store.insertInbox([message('c1', 3), message('c1', 1)], NOW);
    await store.insertInbox([message('c1', 2), message('c1', 9, { sentAt: NOW + 1000, text: 'same second, later arrival' })], NOW + 10);
    await store.insertInbox([message('other', 1)], NOW);
    const taken = await store.takePending('c1', 'run_a', NOW + 20);
    expect(texts(taken)).toEqual(['msg 1', 'same second, later arrival', 'msg 2', 'msg 3']);
    expect(taken.every((r) => r.status === 'processing' && r.runId === 'run_a' && r.processedAt === NOW + 20)).toBe(true);
    expect(texts(await store.takePending('other', 'run_b', NOW + 20))).toEqual(['msg 1']);
  });

  it('gives back exactly the messages a crashed run left processing, with that run id; the newer ones wait for their own turn', async () => {
    await store.insertInbox([message('c1', 2)], NOW);
    await store.takePending('c1', 'run_crashed', NOW + 1);
    await store.insertInbox([message('c1', 1), message('c1', 3)], NOW + 2);
    const recovered = await store.takePending('c1', 'run_new', NOW + 3);
    expect(recovered.map((r) => [r.text, r.runId, r.processedAt])).toEqual([['msg 2', 'run_crashed', NOW + 1]]);
    // Asked again before the recovered batch is marked: the same batch, still nothing else taken.
    expect((await store.takePending('c1', 'run_other', NOW + 4)).map((r) => r.runId)).toEqual(['run_crashed']);
    await store.markInbox(recovered.map((r) => r.id), 'done', NOW + 5);
    const next = await store.takePending('c1', 'run_next', NOW + 6);
    expect(next.map((r) => [r.text, r.runId])).toEqual([['msg 1', 'run_next'], ['msg 3', 'run_next']]);
  });

  it('stores processed items (the bot\'s replies) as done at once, once', async () => {
    const reply = { ...message('c1', 1), kind: 'bot_reply' as const, messageId: 'out:run_1/reply' };
    await store.recordProcessed([reply], NOW);
    await store.recordProcessed([reply], NOW + 1);
    const rows = await store.recentMessages('c1', 10);
    expect(rows.map((r) => [r.messageId, r.status, r.processedAt])).toEqual([['out:run_1/reply', 'done', NOW]]);
    expect(await store.takePending('c1', 'run_2', NOW + 2)).toEqual([]);
    expect(await store.conversationsWithPendingInbox()).toEqual([]);
  });

  it('tells how old the oldest owed message is and when a later one was last finished', async () => {
    expect(await store.inboxProgress(0)).toEqual({});
    const [old] = await store.insertInbox([message('c1', 1)], NOW);
    expect(await store.inboxProgress(0)).toEqual({ oldestWaitingAt: NOW });
    const [later] = await store.insertInbox([message('c2', 1)], NOW + 10);
    await store.markInbox([later!.id], 'done', NOW + 20);
    expect(await store.inboxProgress(0)).toEqual({ oldestWaitingAt: NOW, lastFinishedAt: NOW + 20 });
    expect(await store.inboxProgress(NOW + 11)).toEqual({ oldestWaitingAt: NOW });
    await store.markInbox([old!.id], 'done', NOW + 30);
    expect(await store.inboxProgress(0)).toEqual({});
  });

  it('updates a conversation only if it still holds what the caller read (compare-and-set)', async () => {
    await store.insertInbox([message('c1', 1)], NOW);
    const claimed = await store.updateConversation('c1', { handoffStatus: 'human', assignedAgent: 'ana' }, NOW + 1, { handoffStatus: ['bot'] });
    expect(claimed).toMatchObject({ handoffStatus: 'human', assignedAgent: 'ana' });
    const late = store.updateConversation('c1', { handoffStatus: 'waiting_human', protocolNumber: 'p' }, NOW + 2, { handoffStatus: ['bot'] });
    await expect(late).rejects.toBeInstanceOf(ConversationChangedError);
    expect(await store.getConversation('c1')).toMatchObject({ handoffStatus: 'human', assignedAgent: 'ana', updatedAt: NOW + 1 });
    await store.updateConversation('c1', { realerts: 1 }, NOW + 3, { realerts: 0, updatedAt: NOW + 1 });
    await expect(store.updateConversation('c1', { realerts: 1 }, NOW + 4, { realerts: 0 })).rejects.toBeInstanceOf(ConversationChangedError);
    await expect(store.updateConversation('c1', { realerts: 2 }, NOW + 4, { handoffStatus: [] })).rejects.toBeInstanceOf(ConversationChangedError);
    await expect(store.updateConversation('ghost', { realerts: 2 }, NOW + 4, { realerts: 0 })).rejects.toBeInstanceOf(ConversationNotFoundError);
    expect((await store.getConversation('c1'))?.realerts).toBe(1);
  });

  it('marks messages done or forwarded, after which they are no longer pending', async () => {
    const [a, b, c] = await store.insertInbox([message('c1', 1), message('c1', 2), message('c2', 1)], NOW);
    await store.markInbox([a!.id, c!.id], 'done', NOW + 5);
    await store.markInbox([], 'done', NOW + 6);
    expect(await store.takePending('c2', 'run_1', NOW + 7)).toEqual([]);
    expect(texts(await store.takePending('c1', 'run_1', NOW + 7))).toEqual(['msg 2']);
    await store.markInbox([b!.id], 'forwarded', NOW + 8);
    const recent = await store.recentMessages('c1', 10);
    expect(recent.map((r) => [r.status, r.processedAt])).toEqual([['done', NOW + 5], ['forwarded', NOW + 8]]);
  });

  it('lists conversations with pending or processing messages, oldest waiting first', async () => {
    await store.insertInbox([message('done', 1), message('late', 1)], NOW);
    await store.insertInbox([message('taken', 1), message('late', 2)], NOW + 1);
    const [done] = await store.recentMessages('done', 1);
    await store.markInbox([done!.id], 'done', NOW + 2);
    await store.takePending('taken', 'run_1', NOW + 3);
    expect(await store.conversationsWithPendingInbox()).toEqual(['late', 'taken']);
  });

  it("gives a conversation's latest messages in the customer's order, at most `limit`", async () => {
    await store.insertInbox([5, 1, 4, 2, 3].map((n) => message('c1', n)), NOW);
    await store.insertInbox([message('c2', 1)], NOW);
    expect(texts(await store.recentMessages('c1', 3))).toEqual(['msg 3', 'msg 4', 'msg 5']);
    expect(texts(await store.recentMessages('c1', 50))).toHaveLength(5);
    expect(await store.recentMessages('c1', 0)).toEqual([]);
    expect(await store.recentMessages('nobody', 5)).toEqual([]);
  });

  it('patches a conversation: given fields change, a field set to undefined is cleared, the rest stays', async () => {
    await store.insertInbox([message('c1', 1, { name: 'Ana' })], NOW);
    const waiting = await store.updateConversation('c1', {
      handoffStatus: 'waiting_human', protocolNumber: 'ZF-2024-000001', urgency: 'high', reason: 'cobrança indevida',
      waitingSince: NOW + 10, realerts: 2,
    }, NOW + 10);
    expect(waiting).toMatchObject({ handoffStatus: 'waiting_human', protocolNumber: 'ZF-2024-000001', name: 'Ana', realerts: 2, updatedAt: NOW + 10, createdAt: NOW });
    const back = await store.updateConversation('c1', { handoffStatus: 'bot', protocolNumber: undefined, urgency: undefined, realerts: undefined, name: undefined }, NOW + 20);
    expect(back).toEqual({
      conversationKey: 'c1', provider: 'meta', customer: '5511900000001', handoffStatus: 'bot', reason: 'cobrança indevida',
      waitingSince: NOW + 10, realerts: 0, createdAt: NOW, updatedAt: NOW + 20,
    });
    expect(await store.getConversation('c1')).toEqual(back);
  });

  it('refuses to patch an unknown conversation or an identity field', async () => {
    const missing = store.updateConversation('ghost', { handoffStatus: 'human' }, NOW);
    await expect(missing).rejects.toBeInstanceOf(ConversationNotFoundError);
    await expect(missing).rejects.toMatchObject({ code: 'CONVERSATION_NOT_FOUND', conversationKey: 'ghost' });
    await store.insertInbox([message('c1', 1)], NOW);
    await expect(store.updateConversation('c1', { customer: 'x' } as never, NOW)).rejects.toThrow(/Cannot update "customer"/);
  });

  it('lists conversations by handoff status, most recently updated first, up to a limit', async () => {
    await store.insertInbox(['a', 'b', 'c', 'd'].map((key) => message(key, 1)), NOW);
    await store.updateConversation('a', { handoffStatus: 'human', assignedAgent: 'agent-7' }, NOW + 1);
    await store.updateConversation('c', { handoffStatus: 'human' }, NOW + 3);
    await store.updateConversation('b', { handoffStatus: 'waiting_human' }, NOW + 2);
    const keys = async (filter: Parameters<ServiceStore['listConversations']>[0]) =>
      (await store.listConversations(filter)).map((c) => c.conversationKey);
    expect(await keys({ handoffStatus: 'human' })).toEqual(['c', 'a']);
    expect(await keys({ handoffStatus: 'waiting_human' })).toEqual(['b']);
    expect(await keys({})).toEqual(['c', 'b', 'a', 'd']);
    expect(await keys({ limit: 2 })).toEqual(['c', 'b']);
  });

  it('purges only finished messages and idle bot conversations older than the cutoff', async () => {
    const cutoff = NOW + 1000;
    const old = await store.insertInbox(
      [message('finished', 1), message('finished', 2), message('owed', 1), message('owed', 2), message('human', 1)], NOW,
    );
    const ids = (key: string) => old.filter((r) => r.conversationKey === key).map((r) => r.id);
    await store.markInbox(ids('finished').slice(0, 1), 'done', NOW);
    await store.markInbox(ids('finished').slice(1), 'forwarded', NOW);
    await store.markInbox(ids('owed').slice(0, 1), 'done', NOW);
    await store.takePending('owed', 'run_1', NOW); // the other one is still processing: owed to the customer
    await store.markInbox(ids('human'), 'forwarded', NOW);
    await store.updateConversation('human', { handoffStatus: 'human' }, NOW);
    const recent = await store.insertInbox([message('recent', 1)], cutoff + 1);
    await store.markInbox([recent[0]!.id], 'done', cutoff + 1);

    expect(await store.purge(cutoff)).toEqual({ inbox: 4, conversations: 1 });
    expect(await store.getConversation('finished')).toBeUndefined();
    for (const key of ['owed', 'human', 'recent']) expect(await store.getConversation(key), key).toBeDefined();
    expect(texts(await store.recentMessages('owed', 10))).toEqual(['msg 2']);
    expect(await store.recentMessages('recent', 10)).toHaveLength(1);
    expect(await store.purge(cutoff)).toEqual({ inbox: 0, conversations: 0 });
  });

  it('stores a message once when two instances insert it at the same time', async () => {
    const other = await open();
    for (let round = 0; round < 3; round++) {
      const batch = Array.from({ length: 30 }, (_, n) => message(`c${n % 3}`, round * 100 + n));
      const [a, b] = await Promise.all([store.insertInbox(batch, NOW), other.insertInbox([...batch].reverse(), NOW)]);
      const returned = [...a, ...b].map((r) => r.messageId).sort();
      expect(returned).toEqual(batch.map((m) => m.messageId).sort());
    }
    for (const key of ['c0', 'c1', 'c2']) expect(await other.recentMessages(key, 100)).toHaveLength(30);
    expect((await store.listConversations({})).map((c) => c.conversationKey).sort()).toEqual(['c0', 'c1', 'c2']);
  });

  it('remembers the provider ids of our own sends (idempotently, seen by a second instance) and purges them with the inbox', async () => {
    const sent = { provider: 'evolution' as const, messageId: '3EB0FAKEOURS', conversationKey: 'evolution:loja:5511900000307', sentAt: NOW };
    await store.recordOwnMessages([sent, { ...sent, provider: 'meta', messageId: 'wamid.FAKEOURS' }]);
    await store.recordOwnMessages([sent]); // a retried delivery gets the same ids back
    const other = await open();
    expect(await other.isOwnMessage('evolution', '3EB0FAKEOURS')).toBe(true);
    expect(await other.isOwnMessage('meta', 'wamid.FAKEOURS')).toBe(true);
    expect(await other.isOwnMessage('meta', '3EB0FAKEOURS')).toBe(false); // ids are per provider
    expect(await other.isOwnMessage('evolution', '3EB0FAKECHATWOOT')).toBe(false);
    await store.purge(NOW + 1);
    expect(await store.isOwnMessage('evolution', '3EB0FAKEOURS')).toBe(false);
  });

  it('gives back text, names and the raw message exactly as received (accents, emoji, other scripts)', async () => {
    const text = 'Olá! Minha maquininha não liga 😡👍🏽 👩‍👩‍👧 — 你好 مرحبا e\u0301 \u200b "aspas" \\ fim';
    const raw = { z: 1, a: { texto: text, lista: ['🇧🇷', null, 0.5] }, vazio: null };
    const [stored] = await store.insertInbox([message('c1', 1, { text, name: 'José 🌻', raw })], NOW);
    expect(stored).toMatchObject({ text, name: 'José 🌻', raw });
    expect(Object.keys(stored!.raw as object)).toEqual(['z', 'a', 'vazio']);
    const [read] = await (await open()).recentMessages('c1', 1);
    expect(read).toEqual(stored);
    expect((await store.getConversation('c1'))?.name).toBe('José 🌻');
  });
});

describe.each([sqlite(), postgres()])('ServiceStore beside the engine storage: $name', (backend) => {
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());

  it('shares one database and table prefix with the engine (engine initialised first); both keep working after a reopen', async () => {
    const openService = backend.newDatabase();
    const service = openService();
    const engine = backend.engineOn!(service);
    try {
      await engine.init();
      await service.init();
      await service.insertInbox([message('c1', 1)], NOW);
      await engine.saveSession('c1', { handoff: 'bot' }, 0, NOW);
      const restarted = openService();
      await restarted.init();
      expect(texts(await restarted.recentMessages('c1', 5))).toEqual(['msg 1']);
      await restarted.close();
      expect(await engine.getSession('c1')).toMatchObject({ state: { handoff: 'bot' }, version: 1 });
    } finally {
      await Promise.all([engine.close(), service.close()]);
    }
  });
});
