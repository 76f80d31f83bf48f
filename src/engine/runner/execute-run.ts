/**
 * One run from start to finish: wait for the session, load its state (or the stored run's initial state on
 * resume), write the run record with a lease, walk the steps, and finish with ONE storage write (status,
 * content or error, pending events, and — with durability 'exit' — every step record and the session).
 */
import { randomUUID } from 'node:crypto';
import type { StepNode } from '../definition.js';
import { DuplicateRunError, LeaseLostError, RunAlreadyActiveError, RunCancelledError, RunNotFoundError, SessionStateSchemaError, StaleSessionStateError } from '../errors.js';
import type { WorkflowEvent, WorkflowEventMap } from '../events.js';
import { PauseRun } from '../pause.js';
import type { StepOutput } from '../step-output.js';
import type { RunFinish, RunInputRecord, RunRecord, StepResultRecord, Storage } from '../storage/types.js';
import type { Durability, RunResult, SessionState, SessionStateSchema, WorkflowHistoryEntry } from '../types.js';
import { serializeError } from './errors-json.js';
import { OutputRegistry } from './outputs.js';
import { RunContext } from './run-context.js';
import type { Runtime } from './runtime.js';
import { ActiveRun } from './runtime.js';
import { Scope } from './scope.js';
import { sessionQueues } from './session-lock.js';
import { diffFingerprints, fingerprintOf } from './state.js';

/** What the runner needs from a Workflow (an interface, so the runner does not import workflow.ts). */
export interface RunDefinition {
  readonly name: string;
  readonly steps: readonly StepNode[];
  readonly durability: Durability;
  readonly storeEvents: boolean;
  readonly eventsToSkip: ReadonlySet<string> | undefined;
  /** History every step sees (workflow-level addWorkflowHistory). */
  readonly workflowHistoryRuns: number;
  /** The most history any step asks for: loaded once per run, only when > 0. */
  readonly historyRunsToLoad: number;
  /** State of a session that does not exist yet (the guide's initial workflow_session_state). */
  readonly initialSessionState: SessionState | undefined;
  /** Checks the state a run loads (WorkflowOptions.sessionStateSchema). */
  readonly sessionStateSchema: SessionStateSchema | undefined;
}

export interface RunPlan {
  runId: string;
  /** The first run of the rerun chain (default: this run). */
  rootRunId?: string;
  sessionId: string;
  /** The session is named after a run id generated for this run: none is stored, so it is not read. */
  newSession?: boolean;
  userId: string | undefined;
  input: RunInputRecord;
  /** Resume (crash or pause): the stored run; the replay starts from its initialState. */
  existing?: RunRecord;
  memo?: Map<string, StepResultRecord>;
  /** Rerun: reused records are copied to the new run. */
  copyReused?: boolean;
  resume?: { stepPath: string; data: unknown };
  parentRunId?: string;
  rerunFromStep?: string;
  /** Rerun: the parent run's initial state. */
  initialState?: SessionState;
  signal?: AbortSignal;
  listener?: (event: WorkflowEvent) => void;
}

const NO_HISTORY: readonly WorkflowHistoryEntry[] = Object.freeze([]);
const NO_METRICS = Object.freeze({ durationMs: 0, stepsExecuted: 0, stepsReused: 0 });

/** Starts the run in the background and registers it as in flight (so it can be cancelled and found). */
export function launchRun(def: RunDefinition, runtime: Runtime, plan: RunPlan): ActiveRun {
  flatten(plan.runId);
  flatten(plan.sessionId);
  if (runtime.active.has(plan.runId)) throw new RunAlreadyActiveError(plan.runId);
  const active = new ActiveRun(def.name);
  runtime.track(plan.runId, active);
  active.result = executeRun(def, runtime, plan, active);
  return active;
}

/**
 * Node's randomUUID() builds its text by concatenation, which V8 keeps as a tree of ~15 "cons" strings (~450 B
 * instead of ~60); the run id is then held by every stored record. Reading one character makes V8 flatten the
 * string in place (and the garbage collector drops the tree). Purely a memory/GC saving: the value is unchanged.
 */
function flatten(id: string): void {
  id.charCodeAt(0);
}

/**
 * One async function for the whole run (initialization, the session lock, the run itself and its cleanup):
 * each async frame and await costs allocations that every run pays.
 */
async function executeRun(def: RunDefinition, runtime: Runtime, plan: RunPlan, active: ActiveRun): Promise<RunResult> {
  const startedAt = runtime.clock.now();
  const queues = sessionQueues(runtime.storage);
  let locked = false;
  try {
    const initializing = runtime.init();
    if (initializing !== undefined) await initializing;
    const acquired = queues.acquire(plan.sessionId);
    if (acquired !== true) await acquired;
    locked = true;

    const { storage, clock } = runtime;
    const session = plan.newSession === true ? undefined : await storage.getSession(plan.sessionId);
    const state = checkedState(def, plan.sessionId, plan.existing?.initialState ?? plan.initialState ?? session?.state ?? initialState(def));
    const history = def.historyRunsToLoad > 0 && plan.newSession !== true ? await loadHistory(storage, def.name, plan.sessionId, def.historyRunsToLoad) : NO_HISTORY;
    const firstEventSeq = plan.existing !== undefined && def.storeEvents ? await nextEventSeq(storage, plan.runId) : 0;
    if (plan.existing === undefined) await storage.createRun(newRunRecord(def, runtime, plan, state));

    const run = new RunContext(def, runtime, plan, history, session?.version ?? 0, firstEventSeq);
    active.context = run;
    if (active.pendingCancel !== undefined) run.cancel(active.pendingCancel);
    active.markCreated();
    const unlinkSignal = plan.signal === undefined ? undefined : linkSignal(plan.signal, run);

    const scope = new Scope(run, state, fingerprintOf(state), new OutputRegistry(), undefined, false);
    const initialFingerprint = scope.fingerprint;
    run.emit('WorkflowStarted', undefined, undefined, startedEventData(def, plan));
    const stepResults: StepOutput[] = [];
    let failure: unknown = undefined;
    try {
      // Cancellation ends the run at once, even while a step that ignores its signal is still running.
      await new Promise<void>((resolve, reject) => {
        run.onRunCancelled = reject;
        walk(def.steps, scope, stepResults).then(resolve, reject);
      });
    } catch (error) {
      failure = error;
      run.close(error); // a step still in flight after this may not commit
    } finally {
      unlinkSignal?.();
    }

    const result = outcome(run, failure, stepResults, scope.state);
    emitFinal(run, result);
    const now = clock.now();
    result.metrics = { durationMs: now - startedAt, stepsExecuted: run.stepsExecuted, stepsReused: run.stepsReused };
    const finish = finishRecord(plan, result, now);
    finish.leaseOwner = runtime.owner;
    if (run.exitRecords !== undefined) {
      finish.steps = run.exitRecords;
      if (diffFingerprints(initialFingerprint, scope.fingerprint) !== null) {
        finish.session = { sessionId: plan.sessionId, state: scope.state, expectedVersion: run.sessionVersion };
      }
      // RunFinish has no outbox rows; their idempotency keys make this earlier separate write safe to repeat.
      if (run.exitOutbox !== undefined && run.exitOutbox.length > 0) await storage.enqueueOutbox(run.exitOutbox, clock.now());
    }
    const events = run.takePendingEvents();
    if (events !== undefined) finish.events = events;
    if (run.chain !== undefined) finish.chain = run.chain;
    await run.settleHeld(finish, scope.state);
    try {
      await storage.finishRun(finish);
    } catch (error) {
      if (run.chain !== undefined && run.chain.refused === error) await finishAfterRefusedWrite(storage, run, finish, result, error);
      else await finishAfterStaleSession(storage, finish, result, error);
    }
    return result;
  } finally {
    if (locked) queues.release(plan.sessionId);
    runtime.untrack(plan.runId);
    active.markCreated();
  }
}

function startedEventData(def: RunDefinition, plan: RunPlan): WorkflowEventMap['WorkflowStarted'] {
  const data: WorkflowEventMap['WorkflowStarted'] = { workflowName: def.name, sessionId: plan.sessionId, resumed: plan.existing !== undefined };
  if (plan.parentRunId) data.parentRunId = plan.parentRunId;
  return data;
}

/** Storage copies what it is given (memory through JSON, SQL by serializing), so the result may share objects with it. */
function finishRecord(plan: RunPlan, result: RunResult, now: number): RunFinish {
  const finish: RunFinish = {
    runId: plan.runId, status: result.status, content: undefined, error: undefined, metrics: result.metrics, pause: undefined,
    session: undefined, events: undefined, steps: undefined, now,
  };
  if (result.status === 'completed' && result.content !== undefined) finish.content = result.content;
  if (result.error !== undefined) finish.error = serializeError(result.error);
  if (result.pause !== undefined) finish.pause = result.pause;
  return finish;
}

async function walk(nodes: readonly StepNode[], scope: Scope, results: StepOutput[]): Promise<void> {
  // An index loop: an iterator would be one more object kept alive across every await.
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i]!;
    const output = await node.execute(scope, node.name);
    if (output !== null) results.push(output);
    if (scope.run.stopOutput !== undefined) return;
  }
}

function outcome(run: RunContext, failure: unknown, stepResults: StepOutput[], sessionState: SessionState): RunResult {
  const result: RunResult = {
    runId: run.runId, sessionId: run.sessionId, status: 'completed', content: undefined, stepResults, events: run.events, sessionState,
    metrics: NO_METRICS,
  };
  if (failure === undefined) {
    result.content = run.stopOutput !== undefined ? run.stopOutput.content : stepResults[stepResults.length - 1]?.content;
  } else if (run.cancelled) {
    const reason = run.cancelReason;
    result.status = 'cancelled';
    result.error = reason instanceof RunCancelledError ? reason : new RunCancelledError(run.runId, reason);
  } else if (failure instanceof PauseRun) {
    result.status = 'paused';
    result.pause = { stepPath: failure.stepPath ?? '', reason: failure.reason, resumeKey: failure.resumeKey ?? randomUUID() };
  } else {
    result.status = 'error';
    result.error = failure instanceof Error ? failure : new Error(String(failure));
  }
  return result;
}

function emitFinal(run: RunContext, result: RunResult): void {
  switch (result.status) {
    case 'completed':
      run.emit('WorkflowCompleted', undefined, undefined, { content: result.content, stoppedEarly: run.stopOutput !== undefined });
      break;
    case 'paused':
      run.emit('WorkflowPaused', undefined, undefined, result.pause!);
      break;
    case 'cancelled':
      run.emit('WorkflowCancelled', undefined, undefined, { reason: result.error?.message ?? 'cancelled' });
      break;
    case 'error':
      run.emit('WorkflowError', undefined, undefined, { error: serializeError(result.error) });
      break;
  }
}

/**
 * Write-behind: a write of the run was refused (a stale session, a full disk…), so the storage refused the
 * finish too, and nothing after the refused write is on disk. The run ends as an error naming what was refused
 * (written without the chain). A lost lease or a duplicate run is not this run's to finish: rethrown, as
 * without write-behind.
 */
async function finishAfterRefusedWrite(storage: Storage, run: RunContext, finish: RunFinish, result: RunResult, error: unknown): Promise<void> {
  if (error instanceof LeaseLostError || error instanceof DuplicateRunError || error instanceof RunNotFoundError) throw error;
  if (result.status !== 'error') {
    result.status = 'error';
    result.content = undefined;
    result.pause = undefined;
    result.error = error instanceof Error ? error : new Error(String(error));
    run.emit('WorkflowError', undefined, undefined, { error: serializeError(result.error) });
  }
  const events = [...(finish.events ?? []), ...(run.takePendingEvents() ?? [])];
  await storage.finishRun({
    ...finish, status: 'error', session: undefined, content: undefined, pause: undefined, chain: undefined,
    events: events.length > 0 ? events : undefined, error: serializeError(result.error),
  });
}

/** With durability 'exit' the session is only written here; a stale version turns the run into an error, never a lost update. */
async function finishAfterStaleSession(storage: Storage, finish: RunFinish, result: RunResult, error: unknown): Promise<void> {
  if (!(error instanceof StaleSessionStateError) || finish.session === undefined) throw error;
  result.status = 'error';
  result.error = error;
  await storage.finishRun({ ...finish, status: 'error', session: undefined, content: undefined, pause: undefined, error: serializeError(error) });
}

function newRunRecord(def: RunDefinition, runtime: Runtime, plan: RunPlan, state: SessionState): RunRecord {
  const now = runtime.clock.now();
  const record: RunRecord = {
    runId: plan.runId, workflowName: def.name, sessionId: plan.sessionId, status: 'running', input: plan.input, initialState: state,
    leaseOwner: runtime.owner, leaseExpiresAt: now + runtime.leaseTtlMs, attempts: [{ process: runtime.owner, startedAt: now }],
    createdAt: now, updatedAt: now,
  };
  if (plan.parentRunId !== undefined) record.parentRunId = plan.parentRunId;
  if (plan.rerunFromStep !== undefined) record.rerunFromStep = plan.rerunFromStep;
  return record;
}

/** The loaded state as the workflow's schema reads it: its steps then rely on the types it declares. */
function checkedState(def: RunDefinition, sessionId: string, state: SessionState): SessionState {
  if (def.sessionStateSchema === undefined) return state;
  try {
    return def.sessionStateSchema.parse(state);
  } catch (error) {
    throw new SessionStateSchemaError(def.name, sessionId, error);
  }
}

function initialState(def: RunDefinition): SessionState {
  return def.initialSessionState === undefined ? {} : (JSON.parse(JSON.stringify(def.initialSessionState)) as SessionState);
}

function linkSignal(signal: AbortSignal, run: RunContext): (() => void) | undefined {
  const onAbort = (): void => run.cancel(new RunCancelledError(run.runId, signal.reason));
  if (signal.aborted) {
    onAbort();
    return undefined;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

async function loadHistory(storage: Storage, workflowName: string, sessionId: string, lastRuns: number): Promise<WorkflowHistoryEntry[]> {
  const { runs } = await storage.listRuns({ sessionId, workflowName, status: 'completed', limit: lastRuns });
  return runs.reverse().map((run) => {
    const entry: WorkflowHistoryEntry = { runId: run.runId, input: run.input.message, content: run.content, createdAt: run.createdAt };
    if (run.finishedAt !== undefined) entry.finishedAt = run.finishedAt;
    return entry;
  });
}

/** A resumed run continues the event numbering of its stored events. */
async function nextEventSeq(storage: Storage, runId: string): Promise<number> {
  let next = 0;
  for (const event of await storage.getEvents(runId)) next = Math.max(next, event.seq + 1);
  return next;
}
