/**
 * In-memory Storage for tests and throwaway runs. Same contract as SQLite and Postgres (the contract suite
 * runs against all three): values go through JSON on the way in and come back as fresh copies, versions and
 * leases are checked the same way. Every method runs synchronously inside its promise, so each one is atomic.
 *
 * Records are kept like SQL rows (see memory-rows.ts), their JSON values copied once when written and again
 * only when read: isolation without copying on every write what a read would copy again, and little for the
 * garbage collector to walk.
 */
import { DuplicateRunError, LeaseLostError, RunNotFoundError, StaleSessionStateError } from '../errors.js';
import { MemoryOutbox } from './memory-outbox.js';
import { RunRow, RunningRuns, RunsBySession, SessionRow, StepRow } from './memory-rows.js';
import { keepValue } from './memory-values.js';
import { DEFAULT_LIST_LIMIT, DEFAULT_PURGE_BATCH, purgeableStatuses } from './serialize.js';
import { FINAL_RUN_STATUSES } from './types.js';
import type {
  OutboxMessage, OutboxRecord, OutboxStatus, PurgeCounts, PurgeOptions, RunFilter, RunFinish, RunRecord,
  SessionRecord, StepCommit, StepResultRecord, Storage, StoredEvent,
} from './types.js';

type SessionWrite = { sessionId: string; state: Record<string, unknown>; expectedVersion: number };
type Written = { sessionVersion?: number };

/*
 * The methods the runner calls on every run and step (getSession, createRun, commitStep, finishRun) are plain
 * functions returning settled promises rather than async functions, which cost a frame per call; their errors
 * still arrive as rejections. A commit that wrote no session shares one frozen answer.
 */
const DONE: Promise<undefined> = Promise.resolve(undefined);
const NO_SESSION_WRITTEN: Promise<Written> = Promise.resolve(Object.freeze({}));
const written = (sessionVersion: number | undefined): Promise<Written> =>
  sessionVersion === undefined ? NO_SESSION_WRITTEN : Promise.resolve({ sessionVersion });

/**
 * Only the fields the SQL storages have columns for are kept, so a caller passing a richer object (an engine
 * event with `stepName`, say) gets the same record back from every storage. JSON drops undefined keys.
 */
const storedEvent = (e: StoredEvent): string =>
  JSON.stringify({ runId: e.runId, seq: e.seq, type: e.type, stepPath: e.stepPath, time: e.time, data: e.data });

const byStepOrder = (a: StepResultRecord, b: StepResultRecord): number =>
  a.finishedAt - b.finishedAt || a.startedAt - b.startedAt || (a.stepPath < b.stepPath ? -1 : a.stepPath > b.stepPath ? 1 : 0);

const byNewestRun = (a: RunRow, b: RunRow): number => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0);

export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, SessionRow>();
  private readonly runs = new Map<string, RunRow>();
  private readonly running = new RunningRuns();
  private readonly runsBySession = new RunsBySession();
  /** runId → stepPath → record */
  private readonly steps = new Map<string, Map<string, StepRow>>();
  /** runId → seq → event as JSON text */
  private readonly events = new Map<string, Map<number, string>>();
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly sequences = new Map<string, number>();
  private readonly sequenceKeys = new Map<string, number>();
  private readonly outbox = new MemoryOutbox();

  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async ping(): Promise<void> {}

  // --- sessions ---

  getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const session = this.sessions.get(sessionId);
    return session === undefined ? DONE : Promise.resolve(session.toRecord(sessionId));
  }

  async saveSession(sessionId: string, state: Record<string, unknown>, expectedVersion: number, now: number): Promise<number> {
    return this.writeSession({ sessionId, state, expectedVersion }, now);
  }

  /** Checks first, writes after: callers run it before any other change of the same transaction. */
  private checkSession(write: SessionWrite): void {
    const actual = this.sessions.get(write.sessionId)?.version ?? 0;
    if (actual !== write.expectedVersion) {
      throw new StaleSessionStateError(write.sessionId, write.expectedVersion, actual === 0 ? undefined : actual);
    }
  }

  private writeSession(write: SessionWrite, now: number): number {
    this.checkSession(write);
    const version = write.expectedVersion + 1;
    this.sessions.set(write.sessionId, new SessionRow(keepValue(write.state), version, now));
    return version;
  }

  // --- runs ---

  createRun(run: RunRecord): Promise<void> {
    try {
      if (this.runs.has(run.runId)) throw new DuplicateRunError(run.runId);
      const row = new RunRow(run);
      this.runs.set(row.runId, row);
      this.runsBySession.add(row);
      if (row.status === 'running') this.running.add(row);
      return DONE;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    return this.runs.get(runId)?.toRecord();
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const candidates = filter.sessionId === undefined ? this.runs.values() : this.runsBySession.get(filter.sessionId);
    const matching: RunRow[] = [];
    for (const run of candidates) {
      if ((filter.status === undefined || run.status === filter.status) &&
        (filter.workflowName === undefined || run.workflowName === filter.workflowName) &&
        (filter.parentRunId === undefined || run.parentRunId === filter.parentRunId)) matching.push(run);
    }
    matching.sort(byNewestRun);
    const offset = filter.offset ?? 0;
    const page = matching.slice(offset, offset + (filter.limit ?? DEFAULT_LIST_LIMIT));
    return { runs: page.map((run) => run.toRecord()), total: matching.length };
  }

  finishRun(finish: RunFinish): Promise<Written> {
    try {
      return written(this.finish(finish));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private finish(finish: RunFinish): number | undefined {
    const run = this.runs.get(finish.runId);
    if (!run) throw new RunNotFoundError(finish.runId);
    if (finish.leaseOwner !== undefined && run.leaseOwner !== finish.leaseOwner) throw new LeaseLostError(finish.runId, finish.leaseOwner);
    if (finish.session) this.checkSession(finish.session);
    // Serialize before changing anything: a value JSON refuses (a BigInt) must leave the store as it was.
    const content = keepValue(finish.content);
    const error = keepValue(finish.error);
    const metrics = keepValue(finish.metrics);
    const pause = keepValue(finish.pause);
    const steps = finish.steps === undefined ? undefined : finish.steps.map((step) => new StepRow(step));
    const events = finish.events === undefined ? undefined : finish.events.map(storedEvent);
    const sessionVersion = finish.session ? this.writeSession(finish.session, finish.now) : undefined;
    if (steps !== undefined) for (let i = 0; i < steps.length; i++) this.putStep(finish.steps![i]!.runId, steps[i]!);
    if (events !== undefined) this.putEvents(finish.events!, events);
    run.status = finish.status;
    run.content = content;
    run.error = error;
    run.metrics = metrics;
    run.pause = pause;
    run.leaseOwner = undefined;
    run.leaseExpiresAt = undefined;
    run.updatedAt = finish.now;
    run.finishedAt = FINAL_RUN_STATUSES.includes(finish.status) ? finish.now : undefined;
    if (run.status !== 'running') this.running.remove(run);
    return sessionVersion;
  }

  async markResumed(runId: string, resumeData: unknown, leaseOwner: string, leaseExpiresAt: number, now: number): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run || run.status !== 'paused') return false;
    run.resumeData = keepValue(resumeData);
    run.status = 'running';
    run.pause = undefined;
    run.leaseOwner = leaseOwner;
    run.leaseExpiresAt = leaseExpiresAt;
    run.updatedAt = now;
    this.running.add(run);
    return true;
  }

  // --- step results and events ---

  commitStep(commit: StepCommit): Promise<Written> {
    try {
      return written(this.commit(commit));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private commit(commit: StepCommit): number | undefined {
    if (commit.leaseOwner !== undefined) {
      const run = this.runs.get(commit.step.runId);
      if (run !== undefined && run.leaseOwner !== commit.leaseOwner) throw new LeaseLostError(commit.step.runId, commit.leaseOwner);
    }
    const now = commit.step.finishedAt;
    const step = new StepRow(commit.step);
    const events = commit.events === undefined ? undefined : commit.events.map(storedEvent);
    const sessionVersion = commit.session ? this.writeSession(commit.session, now) : undefined;
    this.putStep(commit.step.runId, step);
    if (events !== undefined) this.putEvents(commit.events!, events);
    if (commit.outbox !== undefined) this.outbox.insert(commit.outbox, now);
    return sessionVersion;
  }

  private putStep(runId: string, row: StepRow): void {
    let byPath = this.steps.get(runId);
    if (!byPath) this.steps.set(runId, (byPath = new Map()));
    byPath.set(row.stepPath, row);
  }

  async getStepResults(runId: string): Promise<StepResultRecord[]> {
    const records: StepResultRecord[] = [];
    for (const row of this.steps.get(runId)?.values() ?? []) records.push(row.toRecord(runId));
    return records.sort(byStepOrder);
  }

  async appendEvents(events: StoredEvent[]): Promise<void> {
    this.putEvents(events, events.map(storedEvent));
  }

  /**
   * `texts[i]` is `events[i]` serialized (done before any change, so a value JSON refuses changes nothing).
   * (runId, seq) is unique: an event re-sent by a replayed step is kept once, the first copy wins.
   */
  private putEvents(events: StoredEvent[], texts: string[]): void {
    for (let i = 0; i < events.length; i++) {
      const { runId, seq } = events[i]!;
      let bySeq = this.events.get(runId);
      if (!bySeq) this.events.set(runId, (bySeq = new Map()));
      if (!bySeq.has(seq)) bySeq.set(seq, texts[i]!);
    }
  }

  async getEvents(runId: string): Promise<StoredEvent[]> {
    const bySeq = this.events.get(runId);
    if (bySeq === undefined) return [];
    return [...bySeq.keys()].sort((a, b) => a - b).map((seq) => JSON.parse(bySeq.get(seq)!) as StoredEvent);
  }

  // --- run leases ---

  async heartbeat(owner: string, leaseExpiresAt: number, _now: number): Promise<number> {
    let extended = 0;
    for (const run of this.running) {
      if (run.leaseOwner === owner) {
        run.leaseExpiresAt = leaseExpiresAt;
        extended++;
      }
    }
    return extended;
  }

  async claimExpiredRuns(owner: string, leaseExpiresAt: number, now: number, limit: number): Promise<RunRecord[]> {
    const expired = [...this.running]
      .filter((run) => (run.leaseExpiresAt ?? Number.NEGATIVE_INFINITY) < now)
      .sort((a, b) => (a.leaseExpiresAt ?? 0) - (b.leaseExpiresAt ?? 0) || a.createdAt - b.createdAt)
      .slice(0, Math.max(0, limit));
    for (const run of expired) {
      run.attempts = [...(run.attempts ?? []), { process: owner, startedAt: now }];
      run.leaseOwner = owner;
      run.leaseExpiresAt = leaseExpiresAt;
      run.updatedAt = now;
    }
    return expired.map((run) => run.toRecord());
  }

  // --- named leases ---

  async tryAcquireLease(name: string, owner: string, expiresAt: number, now: number): Promise<boolean> {
    const held = this.leases.get(name);
    if (held && held.owner !== owner && held.expiresAt > now) return false;
    this.leases.set(name, { owner, expiresAt });
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    if (this.leases.get(name)?.owner === owner) this.leases.delete(name);
  }

  // --- sequences ---

  async nextSequenceValue(sequence: string, idempotencyKey?: string): Promise<number> {
    const keyId = idempotencyKey === undefined ? undefined : JSON.stringify([sequence, idempotencyKey]);
    const known = keyId === undefined ? undefined : this.sequenceKeys.get(keyId);
    if (known !== undefined) return known;
    const value = (this.sequences.get(sequence) ?? 0) + 1;
    this.sequences.set(sequence, value);
    if (keyId !== undefined) this.sequenceKeys.set(keyId, value);
    return value;
  }

  // --- outbox ---

  async enqueueOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): Promise<void> {
    this.outbox.insert(messages, now);
  }

  async claimOutbox(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): Promise<OutboxRecord[]> {
    return this.outbox.claim(owner, claimExpiresAt, now, limit, topics);
  }

  async markOutboxDelivered(id: number, owner: string, result: unknown, now: number): Promise<void> {
    this.outbox.markDelivered(id, owner, result, now);
  }

  async markOutboxFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): Promise<void> {
    this.outbox.markFailed(id, owner, error, nextAttemptAt, dead, now);
  }

  async listOutbox(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): Promise<OutboxRecord[]> {
    return this.outbox.list(filter);
  }

  async countOutbox(status: OutboxStatus): Promise<number> {
    return this.outbox.count(status);
  }

  async getOutbox(id: number): Promise<OutboxRecord | undefined> {
    return this.outbox.get(id);
  }

  async retryOutbox(id: number, now: number): Promise<boolean> {
    return this.outbox.retry(id, now);
  }

  // --- retention ---

  async purge(options: PurgeOptions): Promise<PurgeCounts> {
    const counts: PurgeCounts = { runs: 0, stepResults: 0, events: 0, sessions: 0, outbox: 0 };
    const statuses = purgeableStatuses(options.statuses);
    const batchSize = options.batchSize ?? DEFAULT_PURGE_BATCH;
    const old = [...this.runs.values()].filter((run) => statuses.includes(run.status) && run.updatedAt < options.before);
    for (let start = 0; start < old.length; start += batchSize) {
      for (const run of old.slice(start, start + batchSize)) {
        counts.stepResults += this.steps.get(run.runId)?.size ?? 0;
        counts.events += this.events.get(run.runId)?.size ?? 0;
        this.steps.delete(run.runId);
        this.events.delete(run.runId);
        this.runs.delete(run.runId);
        this.runsBySession.remove(run);
        counts.runs++;
      }
    }
    counts.outbox = this.outbox.purge(options.before);
    const activeSessions = new Set([...this.runs.values()].filter((run) => !FINAL_RUN_STATUSES.includes(run.status)).map((run) => run.sessionId));
    for (const [sessionId, session] of [...this.sessions]) {
      if (session.updatedAt < options.before && !activeSessions.has(sessionId)) {
        this.sessions.delete(sessionId);
        counts.sessions++;
      }
    }
    return counts;
  }
}
