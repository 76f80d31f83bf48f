/**
 * Postgres Storage (`pg` pool): the production and scale-out backend. Every completed step is one SQL
 * statement — one round trip (see postgres-sql.ts for how the stale-session check aborts it). Claims use
 * FOR UPDATE SKIP LOCKED, so N processes sharing the database never take the same run or outbox row.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { DuplicateRunError, LeaseLostError, RunNotFoundError, StaleSessionStateError, StorageUnavailableError } from '../errors.js';
import { connectWithRetry, migratePostgres } from './postgres-migrate.js';
import type { PostgresTarget } from './postgres-migrate.js';
import { LEASE_LOST_SQLSTATE, RUN_NOT_FOUND_SQLSTATE, STALE_SESSION_SQLSTATE, postgresSql } from './postgres-sql.js';
import type { PostgresSql } from './postgres-sql.js';
import { eventFromRow, outboxFromRow, runFromRow, runToParams, sessionFromRow, stepFromRow, stepToParams } from './rows.js';
import type { Row } from './rows.js';
import { DEFAULT_LIST_LIMIT, DEFAULT_PURGE_BATCH, assertIdentifier, encodeJson, purgeableStatuses } from './serialize.js';
import { checkOut, isConnectionLoss, ownedPool, PG_RAW_TYPES } from './pg-types.js';
import { GroupCommit } from './postgres-group-commit.js';
import { eventsJson, finishedAtOf, outboxJson, runCreationsParams, runFinishesParams, sessionVersions, stepCommitsParams, stepsJson } from './postgres-params.js';
import type { CommitResult, GroupCommitOptions } from './postgres-group-commit.js';
import type {
  OutboxMessage, OutboxRecord, OutboxStatus, PurgeCounts, PurgeOptions, RunFilter, RunFinish, RunRecord,
  SessionRecord, StepCommit, StepResultRecord, Storage, StoredEvent,
} from './types.js';

export interface PostgresStorageOptions {
  /** Connection string (the guide's `db_url`), e.g. `process.env.DATABASE_URL`. Required unless `pool` is given. */
  dbUrl?: string;
  /** Prefix of every zapflow table (the guide's `table_name`). @default 'zapflow_' */
  tableName?: string;
  /** Schema holding the tables; created if missing. @default 'public' */
  schema?: string;
  /** Bring your own pool (not closed by `close()`). */
  pool?: pg.Pool;
  /** Connections of the pool zapflow creates. @default 10 */
  poolSize?: number;
  /** Connection attempts at `init()` before giving up with StorageUnavailableError. @default 5 */
  connectAttempts?: number;
  /** Wait before the 2nd attempt; doubles each time, capped at 5 s. @default 250 */
  connectRetryDelayMs?: number;
  /**
   * Concurrent runs' step commits, creations and finishes share statements (postgres-group-commit.ts): a write is still reported
   * done only once it is committed. `false` sends every write alone. @default { maxInFlight: 2, maxBatch: 64 }
   */
  groupCommit?: GroupCommitOptions | false;
  /**
   * A run's steps that settle without waiting on I/O are written with the run's next write (its end, or the
   * next step that waited on I/O) instead of one statement each (Storage.finishesWithSteps): a run that never
   * waits on I/O is two statements. Off by default: the engine benchmark's 3-step runs are ~1.6–1.9× faster with
   * it, but in zapflow's service (1,000 webhooks/s for 30 s, alternating with and without, once its outbox rounds
   * were fixed) it made no measurable difference, so every step is on disk before the next. @default false
   */
  writeBehind?: boolean;
}

type SessionWrite = { sessionId: string; state: Record<string, unknown>; expectedVersion: number };

const sqlState = (error: unknown): unknown => (error as { code?: unknown }).code;

export class PostgresStorage implements Storage {
  readonly kind = 'postgres';
  /** finishRun writes step records and events in its one statement (see Storage.finishesWithSteps). */
  readonly finishesWithSteps: boolean;
  /** claimOutbox keeps each conversation's order across processes by taking only its first undelivered row. */
  readonly claimsFirstOfEachConversation = true;
  readonly tableName: string;
  readonly schema: string;
  private readonly pool: pg.Pool;
  private readonly ownsPool: boolean;
  private readonly target: PostgresTarget;
  private readonly sql: PostgresSql;
  private readonly statementNames = new Map<string, string>();
  private readonly connectAttempts: number;
  private readonly connectRetryDelayMs: number;
  private ready: Promise<void> | undefined;
  private closed = false;
  private readonly stepCommits: GroupCommit<StepCommit, CommitResult> | undefined;
  private readonly runCreations: GroupCommit<RunRecord, void> | undefined;
  private readonly runFinishes: GroupCommit<RunFinish, CommitResult> | undefined;

  constructor(options: PostgresStorageOptions) {
    this.finishesWithSteps = options.writeBehind ?? false;
    if (!options.pool && !options.dbUrl) {
      throw new TypeError('PostgresStorage needs dbUrl (e.g. process.env.DATABASE_URL) or an existing pg pool.');
    }
    this.tableName = assertIdentifier('PostgresStorage tableName', options.tableName ?? 'zapflow_');
    this.schema = assertIdentifier('PostgresStorage schema', options.schema ?? 'public');
    this.connectAttempts = Math.max(1, options.connectAttempts ?? 5);
    this.connectRetryDelayMs = Math.max(0, options.connectRetryDelayMs ?? 250);
    this.ownsPool = !options.pool;
    this.pool = options.pool ?? ownedPool(options.dbUrl, options.poolSize ?? 10);
    this.target = { schema: this.schema, prefix: this.tableName, where: describeServer(options.dbUrl) };
    this.sql = postgresSql(`"${this.schema}".${this.tableName}`);
    if (options.groupCommit !== false) {
      this.stepCommits = new GroupCommit<StepCommit, CommitResult>({
        one: (commit) => this.commitStepAlone(commit),
        many: (commits) => this.commitSteps(commits),
        isConnectionLoss,
        keys: (commit) => [`step\u0000${commit.step.runId}\u0000${commit.step.stepPath}`, ...(commit.session ? [`session\u0000${commit.session.sessionId}`] : [])],
      }, options.groupCommit);
      this.runCreations = new GroupCommit<RunRecord, void>({
        one: (run) => this.createRunAlone(run),
        many: (runs) => this.createRuns(runs),
        isConnectionLoss,
        keys: (run) => [run.runId],
      }, options.groupCommit);
      this.runFinishes = new GroupCommit<RunFinish, CommitResult>({
        one: (finish) => this.finishRunAlone(finish),
        many: (finishes) => this.finishRuns(finishes),
        isConnectionLoss,
        keys: (finish) => [`run\u0000${finish.runId}`, ...(finish.session ? [`session\u0000${finish.session.sessionId}`] : [])],
      }, options.groupCommit);
    }
  }

  init(): Promise<void> {
    this.ready ??= this.connectAndMigrate().catch((error: unknown) => {
      this.ready = undefined; // a later init() (a readiness retry) tries again
      throw error;
    });
    return this.ready;
  }

  private async connectAndMigrate(): Promise<void> {
    const { client, release } = await connectWithRetry(this.pool, this.target, this.connectAttempts, this.connectRetryDelayMs);
    try {
      await migratePostgres(client, this.target);
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsPool) await this.pool.end();
  }

  async ping(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      throw new StorageUnavailableError(`Postgres at ${this.target.where} does not answer: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Named (server-side prepared) per SQL text: after the first use on a connection, only Bind/Execute travel. */
  private async query(text: string, values: unknown[]): Promise<pg.QueryResult<Row>> {
    let name = this.statementNames.get(text);
    if (!name) {
      name = `zf_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      this.statementNames.set(text, name);
    }
    return this.pool.query<Row>({ name, text, values, types: PG_RAW_TYPES });
  }

  // --- sessions ---

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const { rows } = await this.query(this.sql.getSession, [sessionId]);
    return rows[0] && sessionFromRow(rows[0]);
  }

  async saveSession(sessionId: string, state: Record<string, unknown>, expectedVersion: number, now: number): Promise<number> {
    const write = { sessionId, state, expectedVersion };
    const { sessionVersion } = await this.writeWithSession(this.sql.saveSession, write, this.sessionParams(write, now));
    return sessionVersion!;
  }

  /** Runs a statement built on the session guard; a ZF409 raised inside it becomes StaleSessionStateError. */
  private async writeWithSession(text: string, write: SessionWrite | undefined, values: unknown[]): Promise<{ sessionVersion?: number }> {
    try {
      const { rows } = await this.query(text, values);
      const version = rows[0]?.session_version;
      return version === null || version === undefined ? {} : { sessionVersion: Number(version) };
    } catch (error) {
      if (sqlState(error) !== STALE_SESSION_SQLSTATE || !write) throw error;
      const { rows } = await this.query(this.sql.sessionVersion, [write.sessionId]);
      throw new StaleSessionStateError(write.sessionId, write.expectedVersion, rows[0] ? Number(rows[0].version) : undefined, { cause: error });
    }
  }

  private sessionParams(write: SessionWrite | undefined, now: number): unknown[] {
    return write ? [write.sessionId, encodeJson(write.state), write.expectedVersion, now] : [null, null, 0, now];
  }

  // --- runs ---

  createRun(run: RunRecord): Promise<void> {
    return this.runCreations ? this.runCreations.write(run) : this.createRunAlone(run);
  }

  private async createRunAlone(run: RunRecord): Promise<void> {
    try {
      await this.query(this.sql.createRun, runToParams(run));
    } catch (error) {
      if (sqlState(error) === '23505') throw new DuplicateRunError(run.runId);
      throw error;
    }
  }

  /** Several runs in one INSERT; a duplicate id fails the statement (nothing inserted) and each is retried alone. */
  private async createRuns(runs: RunRecord[]): Promise<void[]> {
    await this.query(this.sql.createRuns, runCreationsParams(runs));
    return runs.map(() => undefined);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const { rows } = await this.query(this.sql.getRun, [runId]);
    return rows[0] && runFromRow(rows[0]);
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const where = [filter.status ?? null, filter.workflowName ?? null, filter.sessionId ?? null, filter.parentRunId ?? null];
    const [page, count] = await Promise.all([
      this.query(this.sql.listRuns, [...where, filter.limit ?? DEFAULT_LIST_LIMIT, filter.offset ?? 0]),
      this.query(this.sql.countRuns, where),
    ]);
    return { runs: page.rows.map(runFromRow), total: Number(count.rows[0]?.total ?? 0) };
  }

  finishRun(finish: RunFinish): Promise<CommitResult> {
    return this.runFinishes ? this.runFinishes.write(finish) : this.finishRunAlone(finish);
  }

  private async finishRunAlone(finish: RunFinish): Promise<CommitResult> {
    try {
      return await this.writeWithSession(this.sql.finishRun, finish.session, [
        ...this.sessionParams(finish.session, finish.now),
        finish.runId, finish.status, encodeJson(finish.content), encodeJson(finish.error), encodeJson(finish.metrics),
        encodeJson(finish.pause), finishedAtOf(finish), stepsJson(finish.steps ?? []), eventsJson(finish.events ?? []),
        finish.leaseOwner ?? null,
      ]);
    } catch (error) {
      if (sqlState(error) === RUN_NOT_FOUND_SQLSTATE) throw new RunNotFoundError(finish.runId, { cause: error });
      if (sqlState(error) === LEASE_LOST_SQLSTATE) throw new LeaseLostError(finish.runId, finish.leaseOwner ?? '', { cause: error });
      throw error;
    }
  }

  /** Several finishes in one statement; rejects, having written nothing, if any of them is refused. */
  private async finishRuns(finishes: RunFinish[]): Promise<CommitResult[]> {
    return sessionVersions(finishes.length, (await this.query(this.sql.finishRuns, runFinishesParams(finishes))).rows);
  }

  async markResumed(runId: string, resumeData: unknown, leaseOwner: string, leaseExpiresAt: number, now: number): Promise<boolean> {
    const result = await this.query(this.sql.markResumed, [runId, encodeJson(resumeData), leaseOwner, leaseExpiresAt, now]);
    return result.rowCount === 1;
  }

  // --- step results and events ---

  commitStep(commit: StepCommit): Promise<CommitResult> {
    return this.stepCommits ? this.stepCommits.write(commit) : this.commitStepAlone(commit);
  }

  private async commitStepAlone(commit: StepCommit): Promise<CommitResult> {
    try {
      return await this.writeWithSession(this.sql.commitStep, commit.session, [
        ...this.sessionParams(commit.session, commit.step.finishedAt),
        ...stepToParams(commit.step), eventsJson(commit.events ?? []), outboxJson(commit.outbox ?? []), commit.leaseOwner ?? null,
      ]);
    } catch (error) {
      if (sqlState(error) === LEASE_LOST_SQLSTATE) throw new LeaseLostError(commit.step.runId, commit.leaseOwner ?? '', { cause: error });
      throw error;
    }
  }

  /** Several commits in one statement; rejects, having written nothing, if any of them is refused. */
  private async commitSteps(commits: StepCommit[]): Promise<CommitResult[]> {
    return sessionVersions(commits.length, (await this.query(this.sql.commitSteps, stepCommitsParams(commits))).rows);
  }

  async getStepResults(runId: string): Promise<StepResultRecord[]> {
    return (await this.query(this.sql.getStepResults, [runId])).rows.map(stepFromRow);
  }

  async appendEvents(events: StoredEvent[]): Promise<void> {
    if (events.length > 0) await this.query(this.sql.appendEvents, [eventsJson(events)]);
  }

  async getEvents(runId: string): Promise<StoredEvent[]> {
    return (await this.query(this.sql.getEvents, [runId])).rows.map(eventFromRow);
  }

  // --- run leases ---

  async heartbeat(owner: string, leaseExpiresAt: number, _now: number): Promise<number> {
    return (await this.query(this.sql.heartbeat, [owner, leaseExpiresAt])).rowCount ?? 0;
  }

  async claimExpiredRuns(owner: string, leaseExpiresAt: number, now: number, limit: number): Promise<RunRecord[]> {
    const { rows } = await this.query(this.sql.claimExpiredRuns, [owner, leaseExpiresAt, now, Math.max(0, limit)]);
    return rows.map(runFromRow).sort((a, b) => a.createdAt - b.createdAt);
  }

  // --- named leases ---

  async tryAcquireLease(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    return (await this.query(this.sql.tryAcquireLease, [name, owner, expiresAt, now])).rowCount === 1;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.query(this.sql.releaseLease, [name, owner]);
  }

  // --- sequences ---

  async nextSequenceValue(sequence: string, idempotencyKey?: string): Promise<number> {
    if (idempotencyKey === undefined) return Number((await this.query(this.sql.bumpSequence, [sequence])).rows[0]?.value);
    // The transaction rolls back with a lost connection, so running it again on another cannot bump twice.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.reserveSequenceValue(sequence, idempotencyKey);
      } catch (error) {
        if (attempt >= 3 || this.closed || !isConnectionLoss(error)) throw error;
      }
    }
  }

  /** A transaction, not one statement: the key row is reserved first, so a concurrent caller with the same key
   * waits for it and then reads the number — instead of both bumping the counter and leaving a gap. */
  private async reserveSequenceValue(sequence: string, idempotencyKey: string): Promise<number> {
    const { client, release } = await checkOut(this.pool);
    try {
      await client.query('BEGIN');
      const reserved = await client.query(this.sql.reserveSequenceKey, [sequence, idempotencyKey]);
      if (reserved.rowCount === 1) {
        const bumped = await client.query<Row>({ text: this.sql.bumpSequence, values: [sequence], types: PG_RAW_TYPES });
        const value = Number(bumped.rows[0]?.value);
        await client.query(this.sql.setSequenceKey, [sequence, idempotencyKey, value]);
        await client.query('COMMIT');
        return value;
      }
      const known = await client.query<Row>({ text: this.sql.getSequenceKey, values: [sequence, idempotencyKey], types: PG_RAW_TYPES });
      await client.query('COMMIT');
      return Number(known.rows[0]?.value);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      release();
    }
  }

  // --- outbox ---

  async enqueueOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): Promise<void> {
    if (messages.length > 0) await this.query(this.sql.enqueueOutbox, [outboxJson(messages), now]);
  }

  /** `attempts` counts claims, so a message that crashes its deliverer still moves towards `dead`. */
  async claimOutbox(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): Promise<OutboxRecord[]> {
    const { rows } = await this.query(this.sql.claimOutbox, [owner, claimExpiresAt, now, Math.max(0, limit), topics ?? null]);
    return rows.map(outboxFromRow).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id);
  }

  /** Delivered wins over any claim: once the provider accepted the message, nobody may send it again. */
  async markOutboxDelivered(id: number, owner: string, result: unknown, now: number): Promise<void> {
    await this.query(this.sql.markOutboxDelivered, [id, owner, encodeJson(result), now]);
  }

  /** Only the current claimer may report a failure: a late report must not undo another owner's claim. */
  async markOutboxFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): Promise<void> {
    await this.query(this.sql.markOutboxFailed, [id, owner, dead ? 'dead' : 'pending', error, nextAttemptAt, now]);
  }

  async extendOutboxClaims(owner: string, ids: number[], claimExpiresAt: number): Promise<void> {
    if (ids.length > 0) await this.query(this.sql.extendOutboxClaims, [owner, ids, claimExpiresAt]);
  }

  async listOutbox(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): Promise<OutboxRecord[]> {
    const { rows } = await this.query(this.sql.listOutbox, [filter.status ?? null, filter.runId ?? null, filter.limit ?? DEFAULT_LIST_LIMIT, filter.offset ?? 0]);
    return rows.map(outboxFromRow);
  }

  async countOutbox(status: OutboxStatus): Promise<number> {
    const { rows } = await this.query(this.sql.countOutbox, [status]);
    return Number(rows[0]?.n ?? 0);
  }

  async getOutbox(id: number): Promise<OutboxRecord | undefined> {
    const { rows } = await this.query(this.sql.getOutbox, [id]);
    return rows[0] && outboxFromRow(rows[0]);
  }

  async retryOutbox(id: number, now: number): Promise<boolean> {
    return (await this.query(this.sql.retryOutbox, [id, now])).rowCount === 1;
  }

  // --- retention ---

  async purge(options: PurgeOptions): Promise<PurgeCounts> {
    const counts: PurgeCounts = { runs: 0, stepResults: 0, events: 0, sessions: 0, outbox: 0 };
    const batchSize = Math.max(1, options.batchSize ?? DEFAULT_PURGE_BATCH);
    const statuses = purgeableStatuses(options.statuses);
    for (let batch = batchSize; batch === batchSize;) {
      const row = (await this.query(this.sql.purgeRuns, [statuses, options.before, batchSize])).rows[0] ?? {};
      batch = Number(row.runs ?? 0);
      counts.runs += batch;
      counts.stepResults += Number(row.steps ?? 0);
      counts.events += Number(row.events ?? 0);
    }
    for (let batch = batchSize; batch === batchSize;) {
      batch = (await this.query(this.sql.purgeOutbox, [options.before, batchSize])).rowCount ?? 0;
      counts.outbox += batch;
    }
    for (let batch = batchSize; batch === batchSize;) {
      batch = (await this.query(this.sql.purgeSessions, [options.before, batchSize])).rowCount ?? 0;
      counts.sessions += batch;
    }
    return counts;
  }
}

function describeServer(dbUrl: string | undefined): string {
  if (!dbUrl) return 'the given pool';
  try {
    const url = new URL(dbUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'the configured DATABASE_URL';
  }
}
