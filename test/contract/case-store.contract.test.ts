/**
 * The CaseStore contract (cases, their runs and typifications, the audit log, corrections, exclusive
 * claims, the search, the thread) on memory, SQLite and Postgres (a real server, one schema per file).
 * `open()` gives a second instance on the same database, like a second process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryServiceStore, PostgresServiceStore, SqliteServiceStore } from '../../src/conversations/store/index.js';
import type { InboxItem, ServiceStore } from '../../src/conversations/store/index.js';
import { freshSchema, type TestSchema } from '../helpers/postgres.js';

interface Backend {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  newDatabase(): () => ServiceStore;
}

const memory: Backend = {
  name: 'memory',
  async setup() {},
  async teardown() {},
  newDatabase() {
    const shared = new MemoryServiceStore();
    return () => shared;
  },
};

function sqlite(): Backend {
  let dir = '';
  let count = 0;
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'zapflow-case-store-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    newDatabase() {
      const dbFile = join(dir, `cases${++count}.db`);
      return () => new SqliteServiceStore({ dbFile });
    },
  };
}

function postgres(): Backend {
  let schema: TestSchema | undefined;
  let count = 0;
  return {
    name: 'postgres',
    async setup() {
      schema = await freshSchema('case_store_contract');
    },
    async teardown() {
      await schema?.drop();
    },
    newDatabase() {
      if (!schema) throw new Error('postgres backend: setup() did not run');
      const { databaseUrl, schema: name } = schema;
      const tableName = `c${++count}_`;
      return () => new PostgresServiceStore({ dbUrl: databaseUrl, schema: name, tableName, poolSize: 3 });
    },
  };
}

const NOW = 1_700_000_000_000;

function message(conversationKey: string, n: number, overrides: Partial<InboxItem> = {}): InboxItem {
  return {
    provider: 'meta', messageId: `wamid.CASE.${conversationKey}.${n}`, conversationKey, kind: 'text',
    customer: '5511900000001', text: `msg ${n}`, sentAt: NOW + n * 1000, ...overrides,
  };
}

describe.each([memory, sqlite(), postgres()])('CaseStore contract: $name', (backend) => {
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

  it('keeps one open case per conversation, even when two processes open one at once; a resolved case lets the next open', async () => {
    const other = await open();
    const [a, b] = await Promise.all([
      store.cases.ensureOpenCase({ id: 'case-a', conversationKey: 'c1', openedAt: NOW }),
      other.cases.ensureOpenCase({ id: 'case-b', conversationKey: 'c1', openedAt: NOW }),
    ]);
    expect([a.opened, b.opened].filter(Boolean)).toHaveLength(1);
    expect(a.case.id).toBe(b.case.id);
    const open1 = a.case;
    expect(open1).toEqual({ id: open1.id, conversationKey: 'c1', status: 'open', handoffs: 0, openedAt: NOW, updatedAt: NOW });

    const withProtocol = await store.cases.updateCase(open1.id, { protocolNumber: '20261207000001', lastCustomerAt: NOW + 1 }, NOW + 2);
    expect(withProtocol).toMatchObject({ protocolNumber: '20261207000001', lastCustomerAt: NOW + 1, updatedAt: NOW + 2 });
    await store.cases.updateCase(open1.id, { status: 'resolved', resolvedAt: NOW + 10, resolvedBy: 'ana', resolution: 'agent' }, NOW + 10);
    expect(await store.cases.openCaseOf('c1')).toBeUndefined();

    // A case may be opened with its protocol already minted (one write).
    const next = await store.cases.ensureOpenCase({ id: 'case-c', conversationKey: 'c1', previousProtocol: '20261207000001', protocolNumber: '20261207000002', openedAt: NOW + 20 });
    expect(next).toMatchObject({ opened: true, case: { id: 'case-c', previousProtocol: '20261207000001', protocolNumber: '20261207000002', status: 'open' } });
    expect(await other.cases.openCaseOf('c1')).toMatchObject({ id: 'case-c', protocolNumber: '20261207000002' });
    expect((await other.cases.casesOf('c1', 10)).map((c) => c.id)).toEqual(['case-c', open1.id]);
    // Newest first; two cases opened in the same millisecond by their (time-ordered) ids, newest first too.
    await store.cases.updateCase('case-c', { status: 'resolved', resolvedAt: NOW + 30, resolvedBy: 'ana', resolution: 'agent' }, NOW + 30);
    await store.cases.ensureOpenCase({ id: 'case-d', conversationKey: 'c1', openedAt: NOW + 20 });
    expect((await other.cases.casesOf('c1', 2)).map((c) => c.id)).toEqual(['case-d', 'case-c']);
    expect(await store.cases.getCase(open1.id)).toMatchObject({ status: 'resolved', resolvedBy: 'ana', resolution: 'agent', resolvedAt: NOW + 10 });
    await expect(store.cases.updateCase('nope', { handoffs: 1 }, NOW)).rejects.toMatchObject({ code: 'CASE_NOT_FOUND' });
  });

  it('lists open cases answered before a time (idle close), oldest answer first', async () => {
    for (const [id, key, answeredAt] of [['x1', 'k1', NOW + 5], ['x2', 'k2', NOW + 1], ['x3', 'k3', undefined], ['x4', 'k4', NOW + 100]] as const) {
      await store.cases.ensureOpenCase({ id, conversationKey: key, openedAt: NOW });
      if (answeredAt !== undefined) await store.cases.updateCase(id, { selfServiceAt: answeredAt }, NOW);
    }
    expect((await store.cases.openCasesAnsweredBefore(NOW + 50, 10)).map((c) => c.id)).toEqual(['x2', 'x1']);
  });

  it('records runs once and finds a run’s case; typifications, audit entries and corrections round-trip in order', async () => {
    const { case: theCase } = await store.cases.ensureOpenCase({ id: 'case-1', conversationKey: 'c1', openedAt: NOW });
    await store.cases.addCaseRun(theCase.id, 'run-1', NOW);
    await store.cases.addCaseRun(theCase.id, 'run-1', NOW + 5);
    await store.cases.addCaseRun(theCase.id, 'run-2', NOW + 1);
    expect(await store.cases.caseRuns(theCase.id)).toEqual([
      { caseId: 'case-1', runId: 'run-1', addedAt: NOW }, { caseId: 'case-1', runId: 'run-2', addedAt: NOW + 1 },
    ]);
    expect((await store.cases.caseOfRun('run-2'))?.id).toBe('case-1');
    expect(await store.cases.caseOfRun('run-x')).toBeUndefined();

    const path = { businessUnit: 'cards', product: 'virtual_card', motive: 'virtual_card_usage', submotive: 'virtual_card_create' };
    await store.cases.addTypification({ caseId: 'case-1', at: NOW, source: 'bot', path, confidence: 0.5, runId: 'run-1' });
    await store.cases.addTypification({ caseId: 'case-1', at: NOW + 1, source: 'agent', actor: 'ana', path });
    expect(await store.cases.typificationsOf('case-1')).toEqual([
      { id: expect.any(Number), caseId: 'case-1', at: NOW, source: 'bot', path, confidence: 0.5, runId: 'run-1' },
      { id: expect.any(Number), caseId: 'case-1', at: NOW + 1, source: 'agent', actor: 'ana', path },
    ]);
    // A run's typification is kept once, however often its turn is replayed.
    const turnPath = { ...path, submotive: 'virtual_card_block' };
    expect(await store.cases.addRunTypification({ caseId: 'case-1', at: NOW + 2, path: turnPath, confidence: 0.875, runId: 'run-2' })).toBe(true);
    expect(await store.cases.addRunTypification({ caseId: 'case-1', at: NOW + 3, path: turnPath, confidence: 0.875, runId: 'run-2' })).toBe(false);
    expect(await store.cases.addRunTypification({ caseId: 'case-1', at: NOW + 4, path, runId: 'run-1' })).toBe(false);
    expect((await store.cases.typificationsOf('case-1')).slice(2)).toEqual([
      { id: expect.any(Number), caseId: 'case-1', at: NOW + 2, source: 'bot', path: turnPath, confidence: 0.875, runId: 'run-2' },
    ]);

    await store.cases.recordAudit({ at: NOW, actorKind: 'user', actorId: 'u1', actorLabel: 'ana', action: 'claim', conversationKey: 'c1', caseId: 'case-1', detail: { protocolNumber: 'p' } });
    await store.cases.recordAudit({ at: NOW + 1, actorKind: 'token', actorLabel: 'ADMIN_TOKEN', action: 'rerun' });
    await store.cases.recordAudit({ at: NOW + 2, actorKind: 'user', actorId: 'u1', actorLabel: 'ana', action: 'reply', conversationKey: 'c1' });
    const all = await store.cases.listAudit({ limit: 2 });
    expect(all.total).toBe(3);
    expect(all.entries.map((e) => e.action)).toEqual(['reply', 'rerun']);
    const claims = await store.cases.listAudit({ conversationKey: 'c1', action: 'claim' });
    expect(claims).toEqual({ total: 1, entries: [{ id: expect.any(Number), at: NOW, actorKind: 'user', actorId: 'u1', actorLabel: 'ana', action: 'claim', conversationKey: 'c1', caseId: 'case-1', detail: { protocolNumber: 'p' } }] });
    expect((await store.cases.listAudit({ actorLabel: 'ADMIN_TOKEN', offset: 0 })).entries.map((e) => e.action)).toEqual(['rerun']);

    const messages = [{ role: 'customer' as const, text: 'quero um cartão virtual' }, { role: 'bot' as const, text: 'claro' }];
    await store.cases.addCorrection({ at: NOW, caseId: 'case-1', conversationKey: 'c1', actor: 'ana', label: path, messages });
    expect(await store.cases.listCorrections()).toEqual([{ id: expect.any(Number), at: NOW, caseId: 'case-1', conversationKey: 'c1', actor: 'ana', label: path, messages }]);
  });

  it('a claim is exclusive across processes; a forced claim reassigns', async () => {
    await store.insertInbox([message('c1', 1)], NOW);
    await store.updateConversation('c1', { handoffStatus: 'waiting_human', protocolNumber: 'p1', handoffRef: 'p1' }, NOW);
    const other = await open();
    const results = await Promise.all([
      store.cases.claimConversation('c1', { agent: 'u-ana', agentName: 'Ana Souza', force: false }, NOW + 1),
      other.cases.claimConversation('c1', { agent: 'u-bia', agentName: 'Bia Lima', force: false }, NOW + 1),
    ]);
    expect(results.filter((r) => r?.claimed)).toHaveLength(1);
    const winner = results.find((r) => r?.claimed)!.conversation;
    const loser = results.find((r) => !r?.claimed)!.conversation;
    expect(loser.assignedAgent).toBe(winner.assignedAgent);
    expect(winner).toMatchObject({ handoffStatus: 'human', lastAgentActivityAt: NOW + 1, handoffRef: 'p1' });
    // The holder claiming again is fine; a forced claim takes it.
    expect((await store.cases.claimConversation('c1', { agent: winner.assignedAgent!, agentName: winner.assignedAgentName!, force: false }, NOW + 2))?.claimed).toBe(true);
    const forced = await store.cases.claimConversation('c1', { agent: 'u-carla', agentName: 'Carla', force: true }, NOW + 3);
    expect(forced).toMatchObject({ claimed: true, conversation: { assignedAgent: 'u-carla', assignedAgentName: 'Carla' } });
    expect(await store.cases.claimConversation('nope', { agent: 'x', agentName: 'x', force: false }, NOW)).toBeUndefined();
  });

  it('finds conversations by full phone, last digits, name (case-insensitive, wildcards literal) and protocol', async () => {
    await store.insertInbox([
      message('k1', 1, { customer: '5511987654321', name: 'Joana Silva' }),
      message('k2', 1, { customer: '5521912345678', name: 'Carlos 100%' }),
    ], NOW);
    await store.cases.ensureOpenCase({ id: 'case-k2', conversationKey: 'k2', openedAt: NOW });
    await store.cases.updateCase('case-k2', { protocolNumber: '20261207000042' }, NOW);
    expect(await store.cases.searchConversations('5511987654321', 10)).toEqual(['k1']);
    expect(await store.cases.searchConversations('4321', 10)).toEqual(['k1']);
    expect(await store.cases.searchConversations('+55 (11) 98765-4321', 10)).toEqual(['k1']);
    expect(await store.cases.searchConversations('joana', 10)).toEqual(['k1']);
    expect(await store.cases.searchConversations('100%', 10)).toEqual(['k2']);
    expect(await store.cases.searchConversations('j%a', 10)).toEqual([]); // not a LIKE pattern: no 'j…a' name matches
    expect(await store.cases.searchConversations('20261207000042', 10)).toEqual(['k2']);
    expect(await store.cases.searchConversations('   ', 10)).toEqual([]);
  });

  it('retention deletes resolved cases with their runs and typifications, and old audit and corrections; never an open case', async () => {
    const path = { businessUnit: 'cards', product: 'virtual_card', motive: 'virtual_card_usage', submotive: 'virtual_card_create' };
    for (const id of ['old', 'open', 'recent']) {
      await store.cases.ensureOpenCase({ id, conversationKey: `k-${id}`, openedAt: NOW });
      await store.cases.addCaseRun(id, `run-${id}`, NOW);
      await store.cases.addTypification({ caseId: id, at: NOW, source: 'bot', path });
    }
    await store.cases.updateCase('old', { status: 'resolved', resolvedAt: NOW + 10 }, NOW + 10);
    await store.cases.updateCase('recent', { status: 'resolved', resolvedAt: NOW + 1000 }, NOW + 1000);
    await store.cases.recordAudit({ at: NOW, actorKind: 'system', actorLabel: 'bot', action: 'resolve' });
    await store.cases.recordAudit({ at: NOW + 1000, actorKind: 'system', actorLabel: 'bot', action: 'resolve' });
    await store.cases.addCorrection({ at: NOW, caseId: 'old', conversationKey: 'k-old', actor: 'ana', label: path, messages: [] });
    expect(await store.cases.purgeBefore(NOW + 500)).toEqual({ cases: 1, audit: 1, corrections: 1 });
    expect(await store.cases.getCase('old')).toBeUndefined();
    expect(await store.cases.caseRuns('old')).toEqual([]);
    expect(await store.cases.typificationsOf('old')).toEqual([]);
    expect((await store.cases.getCase('open'))?.status).toBe('open');
    expect(await store.cases.caseRuns('recent')).toHaveLength(1);
    expect((await store.cases.listAudit({})).total).toBe(1);
  });

  it('thread entries are stored done: never taken as customer messages, duplicates dropped', async () => {
    await store.insertInbox([message('c1', 1)], NOW);
    const note = message('c1', 2, { kind: 'agent_message', messageId: 'out:agent-reply:1', name: 'Ana', text: 'oi' });
    await store.appendThread([note, { ...note, kind: 'system_note', messageId: 'note:1', text: 'Ana assumiu' }], NOW + 1);
    await store.appendThread([note], NOW + 2);
    const taken = await store.takePending('c1', 'run-1', NOW + 3);
    expect(taken.map((m) => m.text)).toEqual(['msg 1']);
    const thread = await store.recentMessages('c1', 10);
    expect(thread.map((m) => [m.kind, m.status, m.text])).toEqual([['text', 'processing', 'msg 1'], ['agent_message', 'done', 'oi'], ['system_note', 'done', 'Ana assumiu']]);
    expect(thread[1]).toMatchObject({ name: 'Ana', receivedAt: NOW + 1 });
  });
});
