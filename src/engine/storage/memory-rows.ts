/**
 * How MemoryStorage keeps records: like a SQL row, scalars as they are and every structured value as JSON
 * (see memory-values.ts), copied once when written and copied again only when read. What is kept can't be
 * changed behind the store's back (nor through what a read gave back), the values round-trip exactly as they do
 * through a SQL JSON column, and a kept record is a few flat values for the garbage collector rather than a
 * tree of objects. The runner writes far more than it reads, so copying on read is the cheap side.
 */
import type { Kept } from './memory-values.js';
import { keepValue, restoreValue } from './memory-values.js';
import type { RunAttempt, RunRecord, RunStatus, SessionRecord, StateDelta, StepRecordStatus, StepResultRecord } from './types.js';

/** A run as kept. Fields are assigned in one order in the constructor, so every row shares one shape. */
export class RunRow {
  readonly runId: string;
  readonly workflowName: string;
  readonly sessionId: string;
  status: RunStatus;
  readonly input: Kept;
  readonly initialState: Kept;
  content: Kept;
  error: Kept;
  readonly parentRunId: string | undefined;
  readonly rerunFromStep: string | undefined;
  pause: Kept;
  resumeData: Kept;
  metrics: Kept;
  leaseOwner: string | undefined;
  leaseExpiresAt: number | undefined;
  attempts: RunAttempt[] | undefined;
  readonly createdAt: number;
  updatedAt: number;
  finishedAt: number | undefined;
  /** Links of the RunningRuns list (set only while the run is listed there). */
  runningPrevious: RunRow | undefined = undefined;
  runningNext: RunRow | undefined = undefined;

  constructor(run: RunRecord) {
    this.runId = run.runId;
    this.workflowName = run.workflowName;
    this.sessionId = run.sessionId;
    this.status = run.status;
    this.input = keepValue(run.input);
    this.initialState = keepValue(run.initialState);
    this.content = keepValue(run.content);
    this.error = keepValue(run.error);
    this.parentRunId = run.parentRunId;
    this.rerunFromStep = run.rerunFromStep;
    this.pause = keepValue(run.pause);
    this.resumeData = keepValue(run.resumeData);
    this.metrics = keepValue(run.metrics);
    this.leaseOwner = run.leaseOwner;
    this.leaseExpiresAt = run.leaseExpiresAt;
    this.attempts = run.attempts?.map((attempt) => ({ ...attempt }));
    this.createdAt = run.createdAt;
    this.updatedAt = run.updatedAt;
    this.finishedAt = run.finishedAt;
  }

  /** A fresh record (absent values have no key, as after a JSON round trip), in the record's usual key order. */
  toRecord(): RunRecord {
    const record: Partial<RunRecord> = { runId: this.runId, workflowName: this.workflowName, sessionId: this.sessionId, status: this.status };
    if (this.input !== undefined) record.input = restoreValue(this.input);
    if (this.initialState !== undefined) record.initialState = restoreValue(this.initialState);
    if (this.content !== undefined) record.content = restoreValue(this.content);
    if (this.error !== undefined) record.error = restoreValue(this.error);
    if (this.parentRunId !== undefined) record.parentRunId = this.parentRunId;
    if (this.rerunFromStep !== undefined) record.rerunFromStep = this.rerunFromStep;
    if (this.pause !== undefined) record.pause = restoreValue(this.pause);
    if (this.resumeData !== undefined) record.resumeData = restoreValue(this.resumeData);
    if (this.metrics !== undefined) record.metrics = restoreValue(this.metrics);
    if (this.leaseOwner !== undefined) record.leaseOwner = this.leaseOwner;
    if (this.leaseExpiresAt !== undefined) record.leaseExpiresAt = this.leaseExpiresAt;
    record.createdAt = this.createdAt;
    record.updatedAt = this.updatedAt;
    if (this.finishedAt !== undefined) record.finishedAt = this.finishedAt;
    if (this.attempts !== undefined) record.attempts = this.attempts.map((attempt) => ({ ...attempt }));
    // Every required field was set above unless the caller stored a record without it (JSON drops it too).
    return record as RunRecord;
  }
}

/** A step result as kept: its output and state delta as kept JSON values (the rest are strings and numbers). */
export class StepRow {
  readonly stepPath: string;
  readonly stepName: string;
  readonly stepType: string;
  readonly status: StepRecordStatus;
  readonly output: Kept;
  /** Null (nothing changed) is the common case: kept as null rather than as the text "null". */
  readonly stateDelta: Kept;
  readonly attempts: number;
  readonly startedAt: number;
  readonly finishedAt: number;

  constructor(step: StepResultRecord) {
    this.stepPath = step.stepPath;
    this.stepName = step.stepName;
    this.stepType = step.stepType;
    this.status = step.status;
    this.output = keepValue(step.output);
    this.stateDelta = step.stateDelta === null ? null : keepValue(step.stateDelta);
    this.attempts = step.attempts;
    this.startedAt = step.startedAt;
    this.finishedAt = step.finishedAt;
  }

  toRecord(runId: string): StepResultRecord {
    const record: Partial<StepResultRecord> = { runId, stepPath: this.stepPath, stepName: this.stepName, stepType: this.stepType, status: this.status };
    if (this.output !== undefined) record.output = restoreValue(this.output);
    if (this.stateDelta !== undefined) record.stateDelta = this.stateDelta === null ? null : restoreValue<StateDelta>(this.stateDelta) ?? null;
    record.attempts = this.attempts;
    record.startedAt = this.startedAt;
    record.finishedAt = this.finishedAt;
    return record as StepResultRecord;
  }
}

/** A session as kept: its state as a kept JSON value. */
export class SessionRow {
  constructor(readonly state: Kept, readonly version: number, readonly updatedAt: number) {}

  toRecord(sessionId: string): SessionRecord {
    const record: Partial<SessionRecord> = { sessionId };
    if (this.state !== undefined) record.state = restoreValue(this.state);
    record.version = this.version;
    record.updatedAt = this.updatedAt;
    return record as SessionRecord;
  }
}

/**
 * Runs by session, for `listRuns({ sessionId })` (workflow history is loaded that way on every run): without
 * it each run would scan every stored run. Most sessions hold one run, kept without an array.
 */
export class RunsBySession {
  private readonly bySession = new Map<string, RunRow | Set<RunRow>>();

  add(row: RunRow): void {
    const held = this.bySession.get(row.sessionId);
    if (held === undefined) this.bySession.set(row.sessionId, row);
    else if (held instanceof Set) held.add(row);
    else this.bySession.set(row.sessionId, new Set([held, row]));
  }

  remove(row: RunRow): void {
    const held = this.bySession.get(row.sessionId);
    if (held === row || (held instanceof Set && held.delete(row) && held.size === 0)) this.bySession.delete(row.sessionId);
  }

  get(sessionId: string): Iterable<RunRow> {
    const held = this.bySession.get(sessionId);
    return held === undefined ? [] : held instanceof Set ? held : [held];
  }
}

/**
 * The runs with status 'running' (what heartbeats and recovery look at, so neither scans finished runs), in
 * the order they started running. A list linked through the rows themselves: a Set would churn its hash
 * table with one add and one delete on every run.
 */
export class RunningRuns {
  private first: RunRow | undefined = undefined;
  private last: RunRow | undefined = undefined;

  add(row: RunRow): void {
    if (this.has(row)) return;
    row.runningPrevious = this.last;
    if (this.last === undefined) this.first = row;
    else this.last.runningNext = row;
    this.last = row;
  }

  remove(row: RunRow): void {
    if (!this.has(row)) return;
    if (row.runningPrevious === undefined) this.first = row.runningNext;
    else row.runningPrevious.runningNext = row.runningNext;
    if (row.runningNext === undefined) this.last = row.runningPrevious;
    else row.runningNext.runningPrevious = row.runningPrevious;
    row.runningPrevious = undefined;
    row.runningNext = undefined;
  }

  *[Symbol.iterator](): Iterator<RunRow> {
    for (let row = this.first; row !== undefined; row = row.runningNext) yield row;
  }

  private has(row: RunRow): boolean {
    return row.runningPrevious !== undefined || this.first === row;
  }
}
