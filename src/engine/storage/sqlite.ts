/**
 * SQLite Storage (better-sqlite3, WAL): the embedded default. better-sqlite3 is synchronous, so every method
 * does its work at once inside the promise — a commit is a few microseconds of CPU plus the WAL append.
 * Writes run in IMMEDIATE transactions: they take the write lock up front (waiting up to busyTimeoutMs for
 * another process), so a read-then-write never fails half way on a lock upgrade, and claims are atomic
 * across processes.
 */
import type Database from 'better-sqlite3';
import { DuplicateRunError, LeaseLostError, RunNotFoundError, StaleSessionStateError } from '../errors.js';
import { DEFAULT_LIST_LIMIT, assertIdentifier, encodeJson } from './serialize.js';
import {
  RUN_COLUMNS, STEP_COLUMNS, outboxFromRow, runFromRow, runToParams, sessionFromRow,
  stepFromRow, stepToParams,
} from './rows.js';
import type { Row } from './rows.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';
import { openSqlite } from './sqlite-open.js';
import { SqliteConnection } from './sqlite-statements.js';
import { purgeSqlite } from './sqlite-purge.js';
import { eventRows, eventsFromRows } from './sqlite-events.js';
import { FINAL_RUN_STATUSES } from './types.js';
import type {
  OutboxMessage, OutboxRecord, OutboxStatus, PurgeCounts, PurgeOptions, RunFilter, RunFinish, RunRecord,
  SessionRecord, StepCommit, StepResultRecord, Storage, StoredEvent, WriteChain,
} from './types.js';

export interface SqliteStorageOptions {
  /** Database file; its folder is created if missing. @default './data/zapflow.db' */
  dbFile?: string;
  /** Prefix of every zapflow table (the guide's `table_name`). @default 'zapflow_' */
  tableName?: string;
  /**
   * 'normal': a committed step survives a process kill, not a power loss (fast). 'full': fsync per commit,
   * survives a power loss too. @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** How long a write waits for another process holding the write lock. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Called before each write transaction, with no lock held: the place to give way to another connection
   * whose writes matter more (zapflow's processing thread waits there while a webhook's inbox commit wants
   * the lock). @default none
   */
  beforeWrite?: () => void;
  /**
   * Group commit: the run writes (createRun, commitStep, finishRun, sequence values, outbox inserts and
   * deliveries) asked for while the current microtasks run are written in ONE transaction when they are done
   * (each in its own savepoint, so a refused one fails alone). Concurrent runs then share a commit and its WAL
   * pages instead of paying one each; a caller's promise still resolves only after its transaction committed.
   * `false`: every write commits alone, at once. @default true
   */
  groupCommit?: boolean;
  /**
   * Write-behind: a run's step that settles without waiting on I/O does not wait for its commit; the commit joins
   * the run's next write (see WriteChain). `false`: every step is committed before the next starts. @default true
   * With holdOpen, such steps are held instead and written WITH the run's next write (Storage.finishesWithSteps):
   * a run that never waits on I/O is one write at its end — its step records, events and session state together —
   * instead of one write per step, each with its own lease check, savepoint and copy of the session state. A held
   * transaction puts nothing on disk before its commit anyway, so this changes nothing a crash keeps: the held
   * steps are written, at the latest, in the same microtask run as the chained commits would have been.
   */
  writeBehind?: boolean;
  /**
   * Each event-loop turn's writes in ONE transaction, committed at its check phase (SqliteGroupCommit
   * `holdOpen`; its header says what a resolved write then promises and what keeps the guarantees). For a
   * thread that writes this file through this connection only: another connection of the same thread would
   * wait for a lock that thread holds. `commitHeld()` before anything leaves the thread. @default false
   */
  holdOpen?: boolean;
  /** With holdOpen: another connection waits for the write lock, so the held transaction commits at once. */
  lockWanted?: () => boolean;
  /**
   * With holdOpen: the held transaction stays open this many ms across event-loop turns, so that the turns going
   * on at once share a commit (SqliteGroupCommit `holdForMs`). @default 0: until the first check phase
   */
  holdForMs?: number;
}

/** An open SqliteStorage's connection and group commit, for another store of the same thread to write in the same transactions. */
export interface SharedSqlite {
  readonly connection: SqliteConnection;
  readonly commits: SqliteGroupCommit;
}

type SessionWrite = { sessionId: string; state: Record<string, unknown>; expectedVersion: number };

const placeholders = (count: number): string => Array.from({ length: count }, () => '?').join(', ');
// Built once: the statement cache is keyed by SQL text, and the per-step path must not rebuild strings.
const INSERT_RUN = `INSERT INTO {p}runs (${RUN_COLUMNS.join(', ')}) VALUES (${placeholders(RUN_COLUMNS.length)})`;
const UPSERT_STEP = `INSERT OR REPLACE INTO {p}step_results (${STEP_COLUMNS.join(', ')}) VALUES (${placeholders(STEP_COLUMNS.length)})`;

const outboxToParams = (message: OutboxMessage & { runId?: string }, now: number): unknown[] =>
  [message.key, message.topic, encodeJson(message.payload), message.runId ?? null, now, now, now];

export class SqliteStorage implements Storage {
  readonly kind = 'sqlite';
  /** Writes are applied in call order (one connection, one queue), and chained ones honour WriteChain. */
  readonly writeBehind: boolean;
  /** finishRun writes the held steps' records with the run's end: held open, write-behind holds steps instead of chaining them. */
  readonly finishesWithSteps: boolean;
  readonly dbFile: string;
  readonly tableName: string;
  readonly synchronous: 'normal' | 'full';
  private readonly busyTimeoutMs: number;
  private readonly holdOpen: boolean;
  private readonly connection: SqliteConnection;
  /** Every write goes through it: alone (`now`) or sharing the microtask run's transaction (`grouped`). */
  private readonly commits: SqliteGroupCommit;

  constructor(options: SqliteStorageOptions = {}) {
    this.dbFile = options.dbFile ?? './data/zapflow.db';
    this.tableName = assertIdentifier('SqliteStorage tableName', options.tableName ?? 'zapflow_');
    this.synchronous = options.synchronous ?? 'normal';
    if (this.synchronous !== 'normal' && this.synchronous !== 'full') {
      throw new TypeError(`SqliteStorage synchronous must be 'normal' or 'full', got ${JSON.stringify(options.synchronous)}`);
    }
    this.busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    this.holdOpen = options.holdOpen ?? false;
    this.finishesWithSteps = this.holdOpen && (options.writeBehind ?? true);
    this.writeBehind = !this.finishesWithSteps && (options.writeBehind ?? true);
    this.connection = new SqliteConnection(`SqliteStorage(${this.dbFile})`, this.tableName);
    this.commits = new SqliteGroupCommit(() => this.connection.db, {
      beforeWrite: options.beforeWrite, enabled: options.groupCommit ?? true, holdOpen: this.holdOpen, lockWanted: options.lockWanted,
      holdForMs: options.holdForMs,
    });
  }

  /** This storage's connection and group commit (see SharedSqlite); it stays the owner and closes them. */
  shared(): SharedSqlite {
    return { connection: this.connection, commits: this.commits };
  }

  /** With holdOpen: commits the transaction held open (what was written so far is on disk when it returns). */
  commitHeld(): void {
    this.commits.commitHeld();
  }

  async init(): Promise<void> {
    if (!this.connection.isOpen) {
      this.connection.open(openSqlite({
        dbFile: this.dbFile, prefix: this.tableName, synchronous: this.synchronous, busyTimeoutMs: this.busyTimeoutMs,
        // Held open, this connection writes most of the file's pages, and checkpoints: every 8,000 pages (32 MB of
        // WAL) instead of 1,000, a page rewritten by many turns is copied back once (bench:turn: −3 % CPU a turn).
        ...(this.holdOpen ? { walAutocheckpointPages: 8000 } : {}),
      }));
    }
  }

  async close(): Promise<void> {
    this.commits.forget();
    this.connection.close();
  }

  async ping(): Promise<void> {
    this.sql('SELECT 1').get();
  }

  private sql(text: string): Database.Statement {
    return this.connection.sql(text);
  }

  /** A write in an IMMEDIATE transaction of its own, now. */
  private write<T>(work: () => T): T {
    return this.commits.now(work);
  }

  /** A write that may share its transaction with the others asked for in the same microtask run (`groupCommit`). */
  private grouped<T>(work: () => T, chain?: WriteChain): Promise<T> {
    return this.commits.grouped(work, chain);
  }

  // --- sessions ---

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const row = this.sql('SELECT * FROM {p}sessions WHERE session_id = ?').get(sessionId) as Row | undefined;
    return row && sessionFromRow(row);
  }

  async saveSession(sessionId: string, state: Record<string, unknown>, expectedVersion: number, now: number): Promise<number> {
    return this.write(() => this.writeSession({ sessionId, state, expectedVersion }, now));
  }

  private writeSession(write: SessionWrite, now: number): number {
    return this.writeEncodedSession({ ...write, encoded: encodeJson(write.state) }, now);
  }

  /** One statement on the happy path: the version check is the UPDATE's WHERE (or the INSERT's conflict). */
  private writeEncodedSession(write: SessionWrite & { encoded: string | null }, now: number): number {
    const written = write.expectedVersion === 0
      ? this.sql('INSERT INTO {p}sessions (session_id, state, version, updated_at) VALUES (?, ?, 1, ?) ON CONFLICT (session_id) DO NOTHING')
        .run(write.sessionId, write.encoded, now)
      : this.sql('UPDATE {p}sessions SET state = ?, version = version + 1, updated_at = ? WHERE session_id = ? AND version = ?')
        .run(write.encoded, now, write.sessionId, write.expectedVersion);
    if (written.changes !== 1) {
      const row = this.sql('SELECT version FROM {p}sessions WHERE session_id = ?').get(write.sessionId) as { version: number } | undefined;
      throw new StaleSessionStateError(write.sessionId, write.expectedVersion, row?.version);
    }
    return write.expectedVersion + 1;
  }

  // --- runs ---

  createRun(run: RunRecord): Promise<void> {
    return this.grouped(() => {
      try {
        this.sql(INSERT_RUN).run(...runToParams(run));
      } catch (error) {
        if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateRunError(run.runId);
        throw error;
      }
    });
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const row = this.sql('SELECT * FROM {p}runs WHERE run_id = ?').get(runId) as Row | undefined;
    return row && runFromRow(row);
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    for (const [column, value] of [['status', filter.status], ['workflow_name', filter.workflowName], ['session_id', filter.sessionId], ['parent_run_id', filter.parentRunId]] as const) {
      if (value === undefined) continue;
      conditions.push(`${column} = ?`);
      params.push(value);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const total = (this.sql(`SELECT count(*) AS total FROM {p}runs ${where}`).get(...params) as { total: number }).total;
    const rows = this.sql(`SELECT * FROM {p}runs ${where} ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?`)
      .all(...params, filter.limit ?? DEFAULT_LIST_LIMIT, filter.offset ?? 0) as Row[];
    return { runs: rows.map(runFromRow), total };
  }

  finishRun(finish: RunFinish): Promise<{ sessionVersion?: number }> {
    const events = finish.events && eventRows(finish.events);
    return this.grouped(() => {
      this.checkLease(finish.runId, finish.leaseOwner, true);
      const sessionVersion = finish.session ? this.writeSession(finish.session, finish.now) : undefined;
      for (const step of finish.steps ?? []) this.putStep(step);
      if (events) this.putEventRows(events);
      this.sql('UPDATE {p}runs SET status = ?, content = ?, error = ?, metrics = ?, pause = ?, lease_owner = NULL, ' +
        'lease_expires_at = NULL, updated_at = ?, finished_at = ? WHERE run_id = ?')
        .run(finish.status, encodeJson(finish.content), encodeJson(finish.error), encodeJson(finish.metrics),
          encodeJson(finish.pause), finish.now, FINAL_RUN_STATUSES.includes(finish.status) ? finish.now : null, finish.runId);
      return sessionVersion === undefined ? {} : { sessionVersion };
    }, finish.chain);
  }

  async markResumed(runId: string, resumeData: unknown, leaseOwner: string, leaseExpiresAt: number, now: number): Promise<boolean> {
    const result = this.sql("UPDATE {p}runs SET status = 'running', pause = NULL, resume_data = ?, lease_owner = ?, " +
      "lease_expires_at = ?, updated_at = ? WHERE run_id = ? AND status = 'paused'")
      .run(encodeJson(resumeData), leaseOwner, leaseExpiresAt, now, runId);
    return result.changes === 1;
  }

  // --- step results and events ---

  commitStep(commit: StepCommit): Promise<{ sessionVersion?: number }> {
    // Serialized now, not at the flush: with write-behind the run's next steps may change the state (or an
    // output) before this commit is written, and this step's record must hold what it was when it completed.
    const now = commit.step.finishedAt;
    const session = commit.session && { ...commit.session, encoded: encodeJson(commit.session.state) };
    const step = stepToParams(commit.step);
    const events = commit.events && eventRows(commit.events);
    const outbox = commit.outbox?.map((message) => outboxToParams(message, now));
    return this.grouped(() => {
      this.checkLease(commit.step.runId, commit.leaseOwner);
      const sessionVersion = session ? this.writeEncodedSession(session, now) : undefined;
      this.sql(UPSERT_STEP).run(...step);
      if (events) this.putEventRows(events);
      if (outbox) this.putOutboxParams(outbox);
      return sessionVersion === undefined ? {} : { sessionVersion };
    }, commit.chain);
  }

  /**
   * A run's held steps (finishesWithSteps) in one write: one lease check, one savepoint, their events in one
   * row — instead of a write each. Serialized now, as commitStep does.
   */
  commitHeldSteps(commits: StepCommit[]): Promise<void> {
    const first = commits[0];
    if (first === undefined) return Promise.resolve();
    const steps = commits.map((commit) => stepToParams(commit.step));
    const events = eventRows(commits.flatMap((commit) => commit.events ?? []));
    const outbox = commits.flatMap((commit) => commit.outbox?.map((message) => outboxToParams(message, commit.step.finishedAt)) ?? []);
    return this.grouped(() => {
      this.checkLease(first.step.runId, first.leaseOwner);
      for (const step of steps) this.sql(UPSERT_STEP).run(...step);
      this.putEventRows(events);
      if (outbox.length > 0) this.putOutboxParams(outbox);
    });
  }

  /**
   * Fencing (StepCommit.leaseOwner): inside the write transaction, so no takeover slips in between.
   * `mustExist`: the run must be stored too (finishRun) — one read of its row for both.
   */
  private checkLease(runId: string, owner: string | undefined, mustExist = false): void {
    if (owner === undefined && !mustExist) return;
    const row = this.sql('SELECT lease_owner FROM {p}runs WHERE run_id = ?').get(runId) as { lease_owner: string | null } | undefined;
    if (!row) {
      if (mustExist) throw new RunNotFoundError(runId);
      return;
    }
    if (owner !== undefined && row.lease_owner !== owner) throw new LeaseLostError(runId, owner);
  }

  private putStep(step: StepResultRecord): void {
    this.sql(UPSERT_STEP)
      .run(...stepToParams(step));
  }

  async getStepResults(runId: string): Promise<StepResultRecord[]> {
    const rows = this.sql('SELECT * FROM {p}step_results WHERE run_id = ? ORDER BY finished_at, started_at, step_path').all(runId) as Row[];
    return rows.map(stepFromRow);
  }

  async appendEvents(events: StoredEvent[]): Promise<void> {
    if (events.length > 0) {
      const rows = eventRows(events);
      this.write(() => this.putEventRows(rows));
    }
  }

  /** A write's events, a row a run (./sqlite-events.ts); a seq written before is dropped when read. */
  private putEventRows(rows: Array<[string, string]>): void {
    for (const row of rows) this.sql('INSERT INTO {p}events (run_id, events) VALUES (?, ?)').run(...row);
  }

  async getEvents(runId: string): Promise<StoredEvent[]> {
    // The index on run_id keeps each run's rows in rowid (= write) order: no sort.
    return eventsFromRows(runId, this.sql('SELECT events FROM {p}events WHERE run_id = ? ORDER BY rowid').all(runId) as Row[]);
  }

  // --- run leases ---

  async heartbeat(owner: string, leaseExpiresAt: number, _now: number): Promise<number> {
    return this.sql("UPDATE {p}runs SET lease_expires_at = ? WHERE lease_owner = ? AND status = 'running'").run(leaseExpiresAt, owner).changes;
  }

  async claimExpiredRuns(owner: string, leaseExpiresAt: number, now: number, limit: number): Promise<RunRecord[]> {
    const rows = this.write(() => this.sql(
      "UPDATE {p}runs SET lease_owner = ?, lease_expires_at = ?, updated_at = ?, attempts = json_insert(COALESCE(attempts, '[]'), '$[#]', " +
        "json_object('process', ?, 'startedAt', ?)) WHERE run_id IN (" +
        "SELECT run_id FROM {p}runs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?) " +
        'ORDER BY lease_expires_at, created_at LIMIT ?) RETURNING *',
    ).all(owner, leaseExpiresAt, now, owner, now, now, Math.max(0, limit)) as Row[]);
    return rows.map(runFromRow).sort((a, b) => a.createdAt - b.createdAt);
  }

  // --- named leases ---

  async tryAcquireLease(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    return this.sql('INSERT INTO {p}leases (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET ' +
      'owner = excluded.owner, expires_at = excluded.expires_at WHERE {p}leases.owner = excluded.owner OR {p}leases.expires_at <= ?')
      .run(name, owner, expiresAt, now).changes === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    this.sql('DELETE FROM {p}leases WHERE name = ? AND owner = ?').run(name, owner);
  }

  // --- sequences ---

  nextSequenceValue(sequence: string, idempotencyKey?: string): Promise<number> {
    return this.grouped(() => {
      if (idempotencyKey !== undefined) {
        const known = this.sql('SELECT value FROM {p}sequence_keys WHERE name = ? AND idempotency_key = ?').get(sequence, idempotencyKey) as { value: number } | undefined;
        if (known) return known.value;
      }
      const { value } = this.sql('INSERT INTO {p}sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value')
        .get(sequence) as { value: number };
      if (idempotencyKey !== undefined) {
        this.sql('INSERT INTO {p}sequence_keys (name, idempotency_key, value) VALUES (?, ?, ?)').run(sequence, idempotencyKey, value);
      }
      return value;
    });
  }

  // --- outbox ---

  async enqueueOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): Promise<void> {
    if (messages.length > 0) await this.grouped(() => this.insertOutbox(messages, now));
  }

  /** The key is the idempotency key: a second insert of a known key is a no-op. */
  private insertOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): void {
    this.putOutboxParams(messages.map((message) => outboxToParams(message, now)));
  }

  private putOutboxParams(rows: unknown[][]): void {
    const insert = this.sql("INSERT INTO {p}outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at) " +
      "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (key) DO NOTHING");
    for (const params of rows) insert.run(...params);
  }

  /** `attempts` counts claims, so a message that crashes its deliverer still moves towards `dead`. */
  async claimOutbox(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): Promise<OutboxRecord[]> {
    const rows = this.write(() => this.sql(
      "UPDATE {p}outbox SET status = 'delivering', claimed_by = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ? " +
        "WHERE id IN (SELECT id FROM {p}outbox WHERE ((status = 'pending' AND next_attempt_at <= ?) OR " +
        "(status = 'delivering' AND claim_expires_at < ?)) AND (? IS NULL OR topic IN (SELECT value FROM json_each(?))) " +
        'ORDER BY next_attempt_at, id LIMIT ?) RETURNING *',
    ).all(owner, claimExpiresAt, now, now, now, topics ? 1 : null, JSON.stringify(topics ?? []), Math.max(0, limit)) as Row[]);
    return rows.map(outboxFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }

  /** Delivered wins over any claim: once the provider accepted the message, nobody may send it again. */
  async markOutboxDelivered(id: number, owner: string, result: unknown, now: number): Promise<void> {
    await this.grouped(() => this.sql("UPDATE {p}outbox SET status = 'delivered', result = ?, claimed_by = ?, claim_expires_at = NULL, delivered_at = ?, " +
      "updated_at = ? WHERE id = ? AND status IN ('pending', 'delivering')").run(encodeJson(result), owner, now, now, id));
  }

  /** Only the current claimer may report a failure: a late report must not undo another owner's claim. */
  async markOutboxFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): Promise<void> {
    this.sql('UPDATE {p}outbox SET status = ?, last_error = ?, next_attempt_at = ?, claimed_by = NULL, claim_expires_at = NULL, ' +
      "updated_at = ? WHERE id = ? AND status = 'delivering' AND claimed_by = ?")
      .run(dead ? 'dead' : 'pending', error, nextAttemptAt, now, id, owner);
  }

  async extendOutboxClaims(owner: string, ids: number[], claimExpiresAt: number): Promise<void> {
    if (ids.length === 0) return;
    this.write(() => this.sql("UPDATE {p}outbox SET claim_expires_at = ? WHERE status = 'delivering' AND claimed_by = ? AND id IN (SELECT value FROM json_each(?))")
      .run(claimExpiresAt, owner, JSON.stringify(ids)));
  }

  async listOutbox(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): Promise<OutboxRecord[]> {
    const rows = this.sql('SELECT * FROM {p}outbox WHERE (? IS NULL OR status = ?) AND (? IS NULL OR run_id = ?) ORDER BY id LIMIT ? OFFSET ?')
      .all(filter.status ?? null, filter.status ?? null, filter.runId ?? null, filter.runId ?? null,
        filter.limit ?? DEFAULT_LIST_LIMIT, filter.offset ?? 0) as Row[];
    return rows.map(outboxFromRow);
  }

  async countOutbox(status: OutboxStatus): Promise<number> {
    return (this.sql('SELECT COUNT(*) AS n FROM {p}outbox WHERE status = ?').get(status) as { n: number }).n;
  }

  async getOutbox(id: number): Promise<OutboxRecord | undefined> {
    const row = this.sql('SELECT * FROM {p}outbox WHERE id = ?').get(id) as Row | undefined;
    return row && outboxFromRow(row);
  }

  async retryOutbox(id: number, now: number): Promise<boolean> {
    return this.sql("UPDATE {p}outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ? " +
      "WHERE id = ? AND status IN ('dead', 'pending')").run(now, now, id).changes === 1;
  }

  // --- retention ---

  async purge(options: PurgeOptions): Promise<PurgeCounts> {
    return purgeSqlite((work) => this.write(work), (text) => this.sql(text), options);
  }
}
