/**
 * Row ⇄ record mapping shared by SQLite and Postgres: both use the same column names, epoch-ms integers for
 * time and JSON text for structured values (Postgres `json`, read back as text so `null` and SQL NULL stay
 * different and the text round-trips byte for byte).
 */
import { compact, decodeJson, encodeJson } from './serialize.js';
import type {
  OutboxRecord, OutboxStatus, RunRecord, RunStatus, SessionRecord, StepRecordStatus, StepResultRecord, StoredEvent,
} from './types.js';

/** A row as a driver returns it: integers may come back as numbers or (Postgres bigint) strings. */
export type Row = Record<string, unknown>;

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));
const optNum = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : num(value));
const optStr = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));
const json = <T>(value: unknown): T | undefined => decodeJson<T>(value as string | null);

/** Column order of `runs`, used by inserts on both databases. */
export const RUN_COLUMNS = [
  'run_id', 'workflow_name', 'session_id', 'status', 'input', 'initial_state', 'content', 'error', 'parent_run_id',
  'rerun_from_step', 'pause', 'resume_data', 'metrics', 'lease_owner', 'lease_expires_at', 'created_at', 'updated_at',
  'finished_at', 'attempts',
] as const;

export function runToParams(run: RunRecord): unknown[] {
  return [
    run.runId, run.workflowName, run.sessionId, run.status, encodeJson(run.input), encodeJson(run.initialState),
    encodeJson(run.content), encodeJson(run.error), run.parentRunId ?? null, run.rerunFromStep ?? null,
    encodeJson(run.pause), encodeJson(run.resumeData), encodeJson(run.metrics), run.leaseOwner ?? null,
    run.leaseExpiresAt ?? null, run.createdAt, run.updatedAt, run.finishedAt ?? null, encodeJson(run.attempts),
  ];
}

export function runFromRow(row: Row): RunRecord {
  return compact<RunRecord>({
    runId: String(row.run_id),
    workflowName: String(row.workflow_name),
    sessionId: String(row.session_id),
    status: row.status as RunStatus,
    input: json(row.input) ?? { message: undefined },
    initialState: json(row.initial_state) ?? {},
    content: json(row.content),
    error: json(row.error),
    parentRunId: optStr(row.parent_run_id),
    rerunFromStep: optStr(row.rerun_from_step),
    pause: json(row.pause),
    resumeData: json(row.resume_data),
    metrics: json(row.metrics),
    leaseOwner: optStr(row.lease_owner),
    leaseExpiresAt: optNum(row.lease_expires_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    finishedAt: optNum(row.finished_at),
    attempts: json(row.attempts),
  });
}

export const STEP_COLUMNS = [
  'run_id', 'step_path', 'step_name', 'step_type', 'status', 'output', 'state_delta', 'attempts', 'started_at', 'finished_at',
] as const;

export function stepToParams(step: StepResultRecord): unknown[] {
  return [
    step.runId, step.stepPath, step.stepName, step.stepType, step.status, step.outputJson ?? encodeJson(step.output),
    encodeJson(step.stateDelta), step.attempts, step.startedAt, step.finishedAt,
  ];
}

export function stepFromRow(row: Row): StepResultRecord {
  return {
    runId: String(row.run_id),
    stepPath: String(row.step_path),
    stepName: String(row.step_name),
    stepType: String(row.step_type),
    status: row.status as StepRecordStatus,
    output: json(row.output),
    stateDelta: json(row.state_delta) ?? null,
    attempts: num(row.attempts),
    startedAt: num(row.started_at),
    finishedAt: num(row.finished_at),
  };
}

export function sessionFromRow(row: Row): SessionRecord {
  return {
    sessionId: String(row.session_id),
    state: json(row.state) ?? {},
    version: num(row.version),
    updatedAt: num(row.updated_at),
  };
}

export function eventToParams(event: StoredEvent): unknown[] {
  return [event.runId, event.seq, event.type, event.stepPath ?? null, event.time, encodeJson(event.data)];
}

export function eventFromRow(row: Row): StoredEvent {
  return compact<StoredEvent>({
    runId: String(row.run_id),
    seq: num(row.seq),
    type: String(row.type),
    stepPath: optStr(row.step_path),
    time: num(row.time),
    data: json(row.data),
  });
}

export function outboxFromRow(row: Row): OutboxRecord {
  return compact<OutboxRecord>({
    id: num(row.id),
    key: String(row.key),
    topic: String(row.topic),
    payload: json(row.payload),
    runId: optStr(row.run_id),
    status: row.status as OutboxStatus,
    attempts: num(row.attempts),
    nextAttemptAt: num(row.next_attempt_at),
    lastError: optStr(row.last_error),
    result: json(row.result),
    claimedBy: optStr(row.claimed_by),
    claimExpiresAt: optNum(row.claim_expires_at),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    deliveredAt: optNum(row.delivered_at),
  });
}
