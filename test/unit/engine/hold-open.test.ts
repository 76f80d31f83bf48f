/**
 * SQLite writes held open (SqliteStorageOptions.holdOpen, zapflow's processing thread): the writes of one
 * event-loop turn — awaited one after the other, as a customer's turn does — share ONE commit at the check
 * phase. What a user relies on: another process sees all of them or none (never half a turn), anything that
 * leaves the thread through a claim is on disk first, the request thread's inbox commit is not held up until
 * the check phase, and a COMMIT that fails after its callers were answered is never taken as done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseLostError, SqliteStorage, Step, Workflow } from '../../../src/engine/index.js';
import { SqliteGroupCommit } from '../../../src/engine/storage-kit.js';
import { SqliteServiceStore } from '../../../src/conversations/store/sqlite.js';

let dir: string;
let dbFile: string;
let begun: number;
let wanted: boolean;
let storage: SqliteStorage;
/** A second connection to the same file: another process, as far as SQLite can tell. */
let other: Database.Database;

const run = (runId: string) => ({
  runId, workflowName: 'conversation-typification', sessionId: 'meta:5511900000001', status: 'running' as const,
  input: { message: 'minha maquininha não liga' }, initialState: {}, createdAt: 1, updatedAt: 1,
});
const checkPhase = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Another process's IMMEDIATE transaction, without waiting: true once the held transaction let the lock go. */
const lockFree = (db: Database.Database): boolean => {
  try {
    db.prepare('BEGIN IMMEDIATE').run();
    db.prepare('COMMIT').run();
    return true;
  } catch {
    return false;
  }
};
const until = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
};

const runsSeenBy = (db: Database.Database): number => (db.prepare('SELECT count(*) AS n FROM ho_runs').get() as { n: number }).n;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-hold-open-'));
  dbFile = join(dir, 'zapflow.db');
  begun = 0;
  wanted = false;
  // beforeWrite is called once before each write transaction is begun: it counts them.
  storage = new SqliteStorage({ dbFile, tableName: 'ho_', holdOpen: true, beforeWrite: () => void begun++, lockWanted: () => wanted });
  await storage.init();
  // Timeout 0: a lock still held would throw instead of being waited for.
  other = new Database(dbFile, { timeout: 0 });
});

afterEach(async () => {
  other.close();
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SQLite writes held open until the check phase', () => {
  it('a turn of awaited writes is one commit: another process sees none of them before the check phase, all after', async () => {
    // Four writes, each awaited before the next is asked for: four commits without holdOpen.
    await storage.createRun(run('run-1'));
    await storage.nextSequenceValue('protocol', 'case-1');
    await storage.enqueueOutbox([{ key: 'reply:run-1', topic: 'customer_reply', payload: { text: 'Seu protocolo é 2026…' } }], 2);
    await storage.createRun(run('run-2'));
    expect(runsSeenBy(other)).toBe(0);
    await checkPhase();
    expect(runsSeenBy(other)).toBe(2);
    expect(begun).toBe(1);
  });

  it('a claim commits what was held before it: the outbox row it hands out is on disk when it returns', async () => {
    await storage.createRun(run('run-1'));
    await storage.enqueueOutbox([{ key: 'reply:run-1', topic: 'customer_reply', payload: { text: 'Oi!' } }], 2);
    const claimed = await storage.claimOutbox('owner-a', 60_000, 3, 10);
    expect(claimed.map((row) => row.key)).toEqual(['reply:run-1']);
    // Before any check phase: the claim, the row and the run before it are visible to another process.
    expect(runsSeenBy(other)).toBe(1);
    expect(other.prepare("SELECT status FROM ho_outbox WHERE key = 'reply:run-1'").get()).toEqual({ status: 'delivering' });
  });

  it('when another connection waits for the lock, the held transaction commits at the next group, not at the check phase', async () => {
    await storage.createRun(run('run-1'));
    // The request thread announces that its inbox commit waits (the shared write gate).
    wanted = true;
    await storage.createRun(run('run-2'));
    expect(runsSeenBy(other)).toBe(2);
    // The lock is free: another process's IMMEDIATE transaction gets it at once (timeout 0 would throw).
    other.prepare('BEGIN IMMEDIATE').run();
    other.prepare('COMMIT').run();
  });

  it('a write that fails is refused alone; the writes around it are kept', async () => {
    await storage.createRun(run('run-1'));
    await expect(storage.createRun(run('run-1'))).rejects.toThrow(/run-1/);
    await storage.createRun(run('run-2'));
    await checkPhase();
    expect(runsSeenBy(other)).toBe(2);
  });

  it('closing commits what is held', async () => {
    await storage.createRun(run('run-1'));
    await storage.close();
    expect(runsSeenBy(other)).toBe(1);
  });

  it("the service tables share the runs' transaction through one connection", async () => {
    const store = new SqliteServiceStore({ dbFile, tableName: 'ho_', share: storage.shared() });
    await store.init();
    try {
      const before = begun;
      const [stored] = await store.insertInbox([{
        provider: 'meta', messageId: 'wamid.1', conversationKey: 'meta:5511900000001', kind: 'text', customer: '5511900000001', text: 'oi', sentAt: 1, raw: {},
      }], 1);
      await storage.createRun(run('run-1'));
      expect(stored?.messageId).toBe('wamid.1');
      expect(runsSeenBy(other)).toBe(0);
      await checkPhase();
      expect(runsSeenBy(other)).toBe(1);
      expect(other.prepare('SELECT count(*) AS n FROM ho_inbox').get()).toEqual({ n: 1 });
      expect(begun - before).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('a COMMIT that fails after its callers were answered is rolled back and reported, never taken as done', async () => {
    const db = new Database(join(dir, 'deferred.db'));
    db.exec('PRAGMA foreign_keys = ON; CREATE TABLE parent (id INTEGER PRIMARY KEY); ' +
      'CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    const lost: unknown[] = [];
    const commits = new SqliteGroupCommit(() => db, { holdOpen: true, onLostCommit: (error) => lost.push(error) });
    try {
      // Accepted when applied (the foreign key is checked at COMMIT), so the caller is answered…
      await commits.grouped(() => db.prepare('INSERT INTO child (id, parent_id) VALUES (1, 42)').run());
      await checkPhase();
      // …and the COMMIT refuses it: rolled back, reported.
      expect(lost).toHaveLength(1);
      expect(String((lost[0] as Error).message)).toMatch(/FOREIGN KEY/);
      expect(db.inTransaction).toBe(false);
      expect(db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });
});

describe('SQLite writes held in a commit window (holdForMs)', () => {
  // A window far longer than the test: what commits before its end was made to commit by something else.
  const LONG_WINDOW_MS = 600_000;
  let windowed: SqliteStorage;
  let windowWanted: boolean;

  beforeEach(async () => {
    // The outer beforeEach opened `storage` on the same file; it must not hold the lock.
    await storage.close();
    windowWanted = false;
    windowed = new SqliteStorage({ dbFile, tableName: 'ho_', holdOpen: true, holdForMs: LONG_WINDOW_MS, beforeWrite: () => void begun++, lockWanted: () => windowWanted });
    await windowed.init();
    begun = 0;
  });

  afterEach(async () => {
    await windowed.close();
  });

  it('turns that wait on I/O between their writes share one commit: another process sees them together', async () => {
    await windowed.createRun(run('run-1'));
    await checkPhase(); // the first turn waits on the provider…
    await checkPhase();
    await windowed.createRun(run('run-2')); // …while a second turn writes
    await checkPhase();
    expect(runsSeenBy(other)).toBe(0);
    // A claim (something about to leave the process) commits everything held before it.
    await windowed.enqueueOutbox([{ key: 'reply:run-1', topic: 'customer_reply', payload: { text: 'Oi!' } }], 2);
    expect((await windowed.claimOutbox('owner-a', 60_000, 3, 10)).map((row) => row.key)).toEqual(['reply:run-1']);
    expect(runsSeenBy(other)).toBe(2);
    expect(begun).toBe(1);
  });

  it('when another connection waits for the lock, the window ends at the next group of writes', async () => {
    await windowed.createRun(run('run-1'));
    await checkPhase();
    expect(lockFree(other)).toBe(false);
    // The request thread announces that its inbox commit waits (the shared write gate); the turn writes again.
    windowWanted = true;
    await windowed.createRun(run('run-2'));
    expect(runsSeenBy(other)).toBe(2);
    expect(lockFree(other)).toBe(true);
  });

  it('a window ends by itself: what it held is committed without anything asking', async () => {
    const short = new SqliteStorage({ dbFile: join(dir, 'short.db'), tableName: 'ho_', holdOpen: true, holdForMs: 5, lockWanted: () => false });
    await short.init();
    const reader = new Database(join(dir, 'short.db'), { timeout: 0 });
    try {
      await short.createRun(run('run-1'));
      await until(() => runsSeenBy(reader) === 1);
      expect(lockFree(reader)).toBe(true);
    } finally {
      reader.close();
      await short.close();
    }
  });
});

describe("a run's steps on SQLite held open", () => {
  /** Three steps that answer at once, one that waits on I/O (a timer: a model, an HTTP call), one more at once. */
  const workflow = (options: { owner?: string; gate?: Promise<void> } = {}) => new Workflow({
    name: 'held_steps', storage, storeEvents: true, ...(options.owner ? { owner: options.owner, leaseTtlMs: 1000 } : {}),
    steps: [
      new Step({ name: 'business_unit', executor: (input) => { input.workflowSessionState.unit = 'cards'; return 'cards'; } }),
      new Step({ name: 'product', executor: (input) => { input.workflowSessionState.product = 'pos'; return 'pos'; } }),
      new Step({ name: 'motive', executor: () => 'not_working' }),
      new Step({ name: 'ask_model', executor: async () => { await (options.gate ?? new Promise((resolve) => setTimeout(resolve, 5))); return 'reply'; } }),
      new Step({ name: 'result', executor: (input) => { input.workflowSessionState.done = true; return 'filed'; } }),
    ],
  });

  it('the steps that answer at once are written together before the one that waits on I/O: every record, every event, the state', async () => {
    const held = vi.spyOn(storage, 'commitHeldSteps');
    const result = await workflow().run({ message: 'minha maquininha não liga', sessionId: 'meta:5511900000001' });
    expect(result.status).toBe('completed');
    // One write for the three steps before the wait (instead of one each).
    expect(held.mock.calls.map(([commits]) => commits.map((commit) => commit.step.stepPath))).toEqual([['business_unit', 'product', 'motive']]);
    await checkPhase();
    const steps = other.prepare('SELECT step_path FROM ho_step_results WHERE run_id = ? ORDER BY finished_at, rowid').all(result.runId) as Array<{ step_path: string }>;
    expect(steps.map((row) => row.step_path)).toEqual(['business_unit', 'product', 'motive', 'ask_model', 'result']);
    // Every event row on disk, each a write's events: no seq lost or written twice.
    const seqs = (other.prepare("SELECT json_extract(entry.value, '$[0]') AS seq FROM ho_events, json_each(ho_events.events) AS entry WHERE run_id = ? ORDER BY seq")
      .all(result.runId) as Array<{ seq: number }>).map((row) => row.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i)); // no event lost or stored twice
    expect((await storage.getSession('meta:5511900000001'))?.state).toEqual({ unit: 'cards', product: 'pos', done: true });
  });

  it('a run whose lease was taken over while it waited keeps nothing it wrote after the takeover', async () => {
    let wake: () => void = () => {};
    const gate = new Promise<void>((resolve) => (wake = resolve));
    const handle = workflow({ owner: 'worker-paused', gate }).start({ message: 'oi', sessionId: 'meta:5511900000002', runId: 'run-held' });
    const outcome = handle.result.then(() => 'finished', (error: unknown) => error);
    await until(() => (other.prepare("SELECT count(*) AS n FROM ho_step_results WHERE run_id = 'run-held'").get() as { n: number }).n === 3);
    await storage.claimExpiredRuns('worker-new', Date.now() + 60_000, Date.now() + 5_000, 1);
    wake();
    expect(await outcome).toBeInstanceOf(LeaseLostError);
    await checkPhase();
    const steps = other.prepare("SELECT step_path FROM ho_step_results WHERE run_id = 'run-held' ORDER BY rowid").all() as Array<{ step_path: string }>;
    expect(steps.map((row) => row.step_path)).toEqual(['business_unit', 'product', 'motive']);
    expect(await storage.getRun('run-held')).toMatchObject({ status: 'running', leaseOwner: 'worker-new' });
  });
});

describe("many held steps in one write", () => {
  it('40 steps that answer at once keep every record, in order, with its own output; a step recorded twice keeps its last record', async () => {
    const wf = new Workflow({
      name: 'long_held', storage,
      // Zero-padded: records of steps that finish in the same millisecond are listed by path.
      steps: Array.from({ length: 40 }, (_, at) => new Step({ name: `step_${String(at).padStart(2, '0')}`, executor: () => ({ at, text: `passo ${at}` }) })),
    });
    const result = await wf.run({ message: 'oi', sessionId: 'meta:5511900000004' });
    expect(result.status).toBe('completed');
    const records = await storage.getStepResults(result.runId);
    expect(records.map((record) => record.stepPath)).toEqual(Array.from({ length: 40 }, (_, at) => `step_${String(at).padStart(2, '0')}`));
    expect(records.map((record) => (record.output as { content: { at: number } }).content.at)).toEqual(Array.from({ length: 40 }, (_, at) => at));

    // The same step twice in one write (a retried step's record replaced): the later one is what stays.
    const [first] = records;
    await storage.commitHeldSteps([
      { step: { ...first!, output: { content: 'before' }, outputJson: undefined } },
      { step: { ...first!, output: { content: 'after' }, outputJson: undefined, attempts: 2 } },
    ]);
    const again = (await storage.getStepResults(result.runId)).filter((record) => record.stepPath === 'step_00');
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ output: { content: 'after' }, attempts: 2 });
  });
});

describe("a run's held steps keep what they were", () => {
  it("a later step that changes an earlier step's output in place does not change that step's record", async () => {
    const wf = new Workflow({
      name: 'mutating', storage,
      steps: [
        new Step({ name: 'classify', executor: () => ({ unit: 'cards', confidence: 0.9 }) }),
        // Bad practice, but it must not rewrite history: the record says what `classify` answered.
        new Step({ name: 'adjust', executor: (input) => { (input.previousStepContent as { unit: string }).unit = 'pix'; return 'adjusted'; } }),
      ],
    });
    const result = await wf.run({ message: 'oi', sessionId: 'meta:5511900000003' });
    expect(result.status).toBe('completed');
    const [classify] = (await storage.getStepResults(result.runId)).filter((record) => record.stepPath === 'classify');
    expect(classify?.output).toMatchObject({ content: { unit: 'cards', confidence: 0.9 } });
  });
});
