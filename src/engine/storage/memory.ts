/**
 * In-memory Storage for tests and throwaway runs. Same contract as SQLite and Postgres (the contract suite
 * runs against all three): values are copied through JSON on the way in and out, versions and leases are
 * checked the same way. Every method runs synchronously inside its promise, so each one is atomic.
 */
import { DuplicateRunError, RunNotFoundError, StaleSessionStateError } from '../errors.js';
import { DEFAULT_LIST_LIMIT, DEFAULT_PURGE_BATCH, cloneJson, compact, purgeableStatuses } from './serialize.js';
import { FINAL_RUN_STATUSES } from './types.js';
import type {
  OutboxMessage, OutboxRecord, OutboxStatus, PurgeCounts, PurgeOptions, RunFilter, RunFinish, RunRecord,
  SessionRecord, StepCommit, StepResultRecord, Storage, StoredEvent,
} from './types.js';

type SessionWrite = { sessionId: string; state: Record<string, unknown>; expectedVersion: number };

/**
 * Only the fields the SQL storages have columns for are kept, so a caller passing a richer object (an engine
 * event with `stepName`, say) gets the same record back from every storage.
 */
const storedEvent = (e: StoredEvent): StoredEvent =>
  compact({ runId: e.runId, seq: e.seq, type: e.type, stepPath: e.stepPath, time: e.time, data: cloneJson(e.data) });

const stepRecord = (s: StepResultRecord): StepResultRecord => ({
  runId: s.runId, stepPath: s.stepPath, stepName: s.stepName, stepType: s.stepType, status: s.status, output: cloneJson(s.output),
  stateDelta: cloneJson(s.stateDelta), attempts: s.attempts, startedAt: s.startedAt, finishedAt: s.finishedAt,
});

const runRecord = (r: RunRecord): RunRecord => compact(cloneJson({
  runId: r.runId, workflowName: r.workflowName, sessionId: r.sessionId, status: r.status, input: r.input, initialState: r.initialState,
  content: r.content, error: r.error, parentRunId: r.parentRunId, rerunFromStep: r.rerunFromStep, pause: r.pause,
  resumeData: r.resumeData, metrics: r.metrics, leaseOwner: r.leaseOwner, leaseExpiresAt: r.leaseExpiresAt,
  createdAt: r.createdAt, updatedAt: r.updatedAt, finishedAt: r.finishedAt,
}));

const byStepOrder = (a: StepResultRecord, b: StepResultRecord): number =>
  a.finishedAt - b.finishedAt || a.startedAt - b.startedAt || (a.stepPath < b.stepPath ? -1 : a.stepPath > b.stepPath ? 1 : 0);

export class MemoryStorage implements Storage {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly runs = new Map<string, RunRecord>();
  /** runId → stepPath → record */
  private readonly steps = new Map<string, Map<string, StepResultRecord>>();
  /** runId → seq → event */
  private readonly events = new Map<string, Map<number, StoredEvent>>();
  private readonly leases = new Map<string, { owner: string; expiresAt: number }>();
  private readonly sequences = new Map<string, number>();
  private readonly sequenceKeys = new Map<string, number>();
  private readonly outbox = new Map<number, OutboxRecord>();
  private readonly outboxKeys = new Map<string, number>();
  private nextOutboxId = 1;

  async init(): Promise<void> {}
  async close(): Promise<void> {}
  async ping(): Promise<void> {}

  // --- sessions ---

  async getSession(sessionId: string): Promise<SessionRecord | undefined> {
    const session = this.sessions.get(sessionId);
    return session && cloneJson(session);
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
    this.sessions.set(write.sessionId, { sessionId: write.sessionId, state: cloneJson(write.state), version, updatedAt: now });
    return version;
  }

  // --- runs ---

  async createRun(run: RunRecord): Promise<void> {
    if (this.runs.has(run.runId)) throw new DuplicateRunError(run.runId);
    this.runs.set(run.runId, runRecord(run));
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const run = this.runs.get(runId);
    return run && cloneJson(run);
  }

  async listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; total: number }> {
    const matching = [...this.runs.values()]
      .filter((run) =>
        (filter.status === undefined || run.status === filter.status) &&
        (filter.workflowName === undefined || run.workflowName === filter.workflowName) &&
        (filter.sessionId === undefined || run.sessionId === filter.sessionId) &&
        (filter.parentRunId === undefined || run.parentRunId === filter.parentRunId))
      .sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
    const offset = filter.offset ?? 0;
    const page = matching.slice(offset, offset + (filter.limit ?? DEFAULT_LIST_LIMIT));
    return { runs: page.map((run) => cloneJson(run)), total: matching.length };
  }

  async finishRun(finish: RunFinish): Promise<{ sessionVersion?: number }> {
    const run = this.runs.get(finish.runId);
    if (!run) throw new RunNotFoundError(finish.runId);
    if (finish.session) this.checkSession(finish.session);
    const sessionVersion = finish.session ? this.writeSession(finish.session, finish.now) : undefined;
    for (const step of finish.steps ?? []) this.putStep(step);
    this.putEvents(finish.events ?? []);
    const final = FINAL_RUN_STATUSES.includes(finish.status);
    const updated: RunRecord = {
      ...run,
      status: finish.status,
      content: cloneJson(finish.content),
      error: cloneJson(finish.error),
      metrics: cloneJson(finish.metrics),
      pause: cloneJson(finish.pause),
      leaseOwner: undefined,
      leaseExpiresAt: undefined,
      updatedAt: finish.now,
      finishedAt: final ? finish.now : undefined,
    };
    this.runs.set(run.runId, compact(updated));
    return sessionVersion === undefined ? {} : { sessionVersion };
  }

  async markResumed(runId: string, resumeData: unknown, leaseOwner: string, leaseExpiresAt: number, now: number): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run || run.status !== 'paused') return false;
    this.runs.set(runId, compact({
      ...run, status: 'running', pause: undefined, resumeData: cloneJson(resumeData), leaseOwner, leaseExpiresAt, updatedAt: now,
    }));
    return true;
  }

  // --- step results and events ---

  async commitStep(commit: StepCommit): Promise<{ sessionVersion?: number }> {
    const now = commit.step.finishedAt;
    const sessionVersion = commit.session ? this.writeSession(commit.session, now) : undefined;
    this.putStep(commit.step);
    this.putEvents(commit.events ?? []);
    this.insertOutbox(commit.outbox ?? [], now);
    return sessionVersion === undefined ? {} : { sessionVersion };
  }

  private putStep(step: StepResultRecord): void {
    let byPath = this.steps.get(step.runId);
    if (!byPath) this.steps.set(step.runId, (byPath = new Map()));
    byPath.set(step.stepPath, stepRecord(step));
  }

  async getStepResults(runId: string): Promise<StepResultRecord[]> {
    return [...(this.steps.get(runId)?.values() ?? [])].sort(byStepOrder).map((step) => cloneJson(step));
  }

  async appendEvents(events: StoredEvent[]): Promise<void> {
    this.putEvents(events);
  }

  /** (runId, seq) is unique: an event re-sent by a replayed step is kept once, the first copy wins. */
  private putEvents(events: StoredEvent[]): void {
    for (const event of events) {
      let bySeq = this.events.get(event.runId);
      if (!bySeq) this.events.set(event.runId, (bySeq = new Map()));
      if (!bySeq.has(event.seq)) bySeq.set(event.seq, storedEvent(event));
    }
  }

  async getEvents(runId: string): Promise<StoredEvent[]> {
    return [...(this.events.get(runId)?.values() ?? [])].sort((a, b) => a.seq - b.seq).map((event) => cloneJson(event));
  }

  // --- run leases ---

  async heartbeat(owner: string, leaseExpiresAt: number, _now: number): Promise<number> {
    let extended = 0;
    for (const run of this.runs.values()) {
      if (run.status === 'running' && run.leaseOwner === owner) {
        run.leaseExpiresAt = leaseExpiresAt;
        extended++;
      }
    }
    return extended;
  }

  async claimExpiredRuns(owner: string, leaseExpiresAt: number, now: number, limit: number): Promise<RunRecord[]> {
    const expired = [...this.runs.values()]
      .filter((run) => run.status === 'running' && (run.leaseExpiresAt ?? Number.NEGATIVE_INFINITY) < now)
      .sort((a, b) => (a.leaseExpiresAt ?? 0) - (b.leaseExpiresAt ?? 0) || a.createdAt - b.createdAt)
      .slice(0, Math.max(0, limit));
    for (const run of expired) Object.assign(run, { leaseOwner: owner, leaseExpiresAt, updatedAt: now });
    return expired.map((run) => cloneJson(run));
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
    this.insertOutbox(messages, now);
  }

  /** The key is the idempotency key: a second insert with a known key is a no-op (ON CONFLICT DO NOTHING). */
  private insertOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): void {
    for (const message of messages) {
      if (this.outboxKeys.has(message.key)) continue;
      const id = this.nextOutboxId++;
      this.outboxKeys.set(message.key, id);
      this.outbox.set(id, compact({
        id, key: message.key, topic: message.topic, payload: cloneJson(message.payload), runId: message.runId,
        status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now,
      }));
    }
  }

  /** `attempts` counts claims: a message that crashes its deliverer still moves towards `dead`. */
  async claimOutbox(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): Promise<OutboxRecord[]> {
    const due = [...this.outbox.values()]
      .filter((row) =>
        (topics === undefined || topics.includes(row.topic)) &&
        ((row.status === 'pending' && row.nextAttemptAt <= now) ||
          (row.status === 'delivering' && (row.claimExpiresAt ?? 0) < now)))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
      .slice(0, Math.max(0, limit));
    for (const row of due) {
      Object.assign(row, { status: 'delivering', claimedBy: owner, claimExpiresAt, attempts: row.attempts + 1, updatedAt: now });
    }
    return due.map((row) => cloneJson(row));
  }

  /** Delivered wins over any claim: once the provider accepted the message, nobody may send it again. */
  async markOutboxDelivered(id: number, owner: string, result: unknown, now: number): Promise<void> {
    const row = this.outbox.get(id);
    if (!row || row.status === 'delivered' || row.status === 'dead') return;
    this.outbox.set(id, compact({
      ...row, status: 'delivered', result: cloneJson(result), claimedBy: owner, claimExpiresAt: undefined, deliveredAt: now, updatedAt: now,
    }));
  }

  /** Only the current claimer may report a failure: a late report must not undo another owner's claim. */
  async markOutboxFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): Promise<void> {
    const row = this.outbox.get(id);
    if (!row || row.status !== 'delivering' || row.claimedBy !== owner) return;
    this.outbox.set(id, compact({
      ...row, status: dead ? 'dead' : 'pending', lastError: error, nextAttemptAt, claimedBy: undefined, claimExpiresAt: undefined, updatedAt: now,
    }));
  }

  async listOutbox(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): Promise<OutboxRecord[]> {
    const offset = filter.offset ?? 0;
    return [...this.outbox.values()]
      .filter((row) => (filter.status === undefined || row.status === filter.status) && (filter.runId === undefined || row.runId === filter.runId))
      .sort((a, b) => a.id - b.id)
      .slice(offset, offset + (filter.limit ?? DEFAULT_LIST_LIMIT))
      .map((row) => cloneJson(row));
  }

  async getOutbox(id: number): Promise<OutboxRecord | undefined> {
    const row = this.outbox.get(id);
    return row && cloneJson(row);
  }

  async retryOutbox(id: number, now: number): Promise<boolean> {
    const row = this.outbox.get(id);
    if (!row || (row.status !== 'dead' && row.status !== 'pending')) return false;
    Object.assign(row, { status: 'pending', attempts: 0, nextAttemptAt: now, updatedAt: now });
    return true;
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
        counts.runs++;
      }
    }
    for (const row of [...this.outbox.values()]) {
      if ((row.status === 'delivered' || row.status === 'dead') && row.updatedAt < options.before) {
        this.outbox.delete(row.id);
        this.outboxKeys.delete(row.key);
        counts.outbox++;
      }
    }
    const activeSessions = new Set([...this.runs.values()].filter((run) => !FINAL_RUN_STATUSES.includes(run.status)).map((run) => run.sessionId));
    for (const session of [...this.sessions.values()]) {
      if (session.updatedAt < options.before && !activeSessions.has(session.sessionId)) {
        this.sessions.delete(session.sessionId);
        counts.sessions++;
      }
    }
    return counts;
  }
}
