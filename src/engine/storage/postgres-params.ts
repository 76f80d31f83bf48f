/**
 * How PostgresStorage's records become the JSON parameters of its statements (postgres-sql.ts reads them with
 * `json_to_recordset`): one parameter per kind of row, the same SQL text for any count, so each statement stays
 * prepared. JSON columns travel as JSON text (encodeJson), so they round-trip exactly. The batch builders give
 * each member its position `i`, which the batch statements return beside the session version each one wrote.
 */
import type { CommitResult } from './postgres-group-commit.js';
import { RUN_COLUMNS, runToParams } from './rows.js';
import type { Row } from './rows.js';
import { encodeJson } from './serialize.js';
import { FINAL_RUN_STATUSES } from './types.js';
import type { OutboxMessage, RunFinish, RunRecord, StepCommit, StepResultRecord, StoredEvent } from './types.js';

export const eventsJson = (events: StoredEvent[]): string =>
  JSON.stringify(events.map((e) => ({ run_id: e.runId, seq: e.seq, type: e.type, step_path: e.stepPath ?? null, time: e.time, data: encodeJson(e.data) })));

export const outboxJson = (messages: Array<OutboxMessage & { runId?: string; at?: number }>): string =>
  JSON.stringify(messages.map((m) => ({ key: m.key, topic: m.topic, payload: encodeJson(m.payload), run_id: m.runId ?? null, at: m.at ?? null })));

const stepColumns = (s: StepResultRecord) => ({
  run_id: s.runId, step_path: s.stepPath, step_name: s.stepName, step_type: s.stepType, status: s.status, output: s.outputJson ?? encodeJson(s.output),
  state_delta: encodeJson(s.stateDelta), attempts: s.attempts, started_at: s.startedAt, finished_at: s.finishedAt,
});

export const stepsJson = (steps: StepResultRecord[]): string => JSON.stringify(steps.map(stepColumns));

/** A run that ends (not a pause) gets its finished_at. */
export const finishedAtOf = (finish: RunFinish): number | null => (FINAL_RUN_STATUSES.includes(finish.status) ? finish.now : null);

const sessionColumns = (session: StepCommit['session']) => ({
  session_id: session?.sessionId ?? null, state: session ? encodeJson(session.state) : null, expected_version: session?.expectedVersion ?? null,
});

/** createRuns' parameter: the runs as objects keyed by column. */
export function runCreationsParams(runs: RunRecord[]): [string] {
  return [JSON.stringify(runs.map((run) => {
    const params = runToParams(run);
    return Object.fromEntries(RUN_COLUMNS.map((column, i) => [column, params[i]]));
  }))];
}

/** commitSteps' parameters: the commits, their events, their outbox rows (each due at its step's end). */
export function stepCommitsParams(commits: StepCommit[]): [string, string, string] {
  const events: StoredEvent[] = [];
  const outbox: Array<OutboxMessage & { runId?: string; at: number }> = [];
  const rows = commits.map((commit, i) => {
    const { step } = commit;
    if (commit.events) for (const event of commit.events) events.push(event);
    if (commit.outbox) for (const message of commit.outbox) outbox.push({ ...message, at: step.finishedAt });
    return { i, ...stepColumns(step), lease_owner: commit.leaseOwner ?? null, ...sessionColumns(commit.session) };
  });
  return [JSON.stringify(rows), eventsJson(events), outboxJson(outbox)];
}

/** finishRuns' parameters: the finishes, their write-behind step records, their events. */
export function runFinishesParams(finishes: RunFinish[]): [string, string, string] {
  const steps: StepResultRecord[] = [];
  const events: StoredEvent[] = [];
  const rows = finishes.map((finish, i) => {
    if (finish.steps) for (const step of finish.steps) steps.push(step);
    if (finish.events) for (const event of finish.events) events.push(event);
    return {
      i, run_id: finish.runId, status: finish.status, content: encodeJson(finish.content), error: encodeJson(finish.error),
      metrics: encodeJson(finish.metrics), pause: encodeJson(finish.pause), finished_at: finishedAtOf(finish),
      now: finish.now, lease_owner: finish.leaseOwner ?? null, ...sessionColumns(finish.session),
    };
  });
  return [JSON.stringify(rows), stepsJson(steps), eventsJson(events)];
}

/** A batch statement's (i, session_version) rows as each member's result, in the batch's order. */
export function sessionVersions(members: number, written: Row[]): CommitResult[] {
  const results: CommitResult[] = Array.from({ length: members }, () => ({}));
  for (const row of written) {
    const version = row.session_version;
    if (version !== null && version !== undefined) results[Number(row.i)] = { sessionVersion: Number(version) };
  }
  return results;
}
