/**
 * `Workflow`: a named list of steps and the API to run it (run, stream, start, getRun, cancel) and to act on
 * stored runs (resume a paused run, rerun, purge). Definitions are validated here, at construction.
 */
import { timeOrderedId } from './ids.js';
import { systemClock } from './clock.js';
import type { NestedWorkflowDefinition, StepNode, WorkflowLike } from './definition.js';
import { WORKFLOW_DEFINITION, assertStepName, assertUniqueNames, historyRunsOf, maxHistoryRuns } from './definition.js';
import { InvalidDefinitionError, InvalidOptionError, RunCancelledError, RunNotFoundError, RunNotPausedError, UnknownStepError, WorkflowMismatchError } from './errors.js';
import type { WorkflowEventType } from './events.js';
import { EVENT_TYPES, isWorkflowLevelEvent } from './events.js';
import type { StepLike } from './normalize.js';
import { toNodes } from './normalize.js';
import type { RunDefinition, RunPlan } from './runner/execute-run.js';
import { launchRun } from './runner/execute-run.js';
import type { WorkflowStream } from './runner/event-stream.js';
import { EventQueue } from './runner/event-stream.js';
import { loadMemo, readResumeEnvelope, rerunMemo, resumeEnvelope, rootRunIdOf } from './runner/replay.js';
import type { ActiveRun } from './runner/runtime.js';
import { DEFAULT_LEASE_TTL_MS, Runtime } from './runner/runtime.js';
import { validateRunOptions, purgeBefore } from './run-options.js';
import type { PurgeRequest } from './run-options.js';
import { MemoryStorage } from './storage/memory.js';
import type { PurgeCounts, RunFilter, RunRecord, Storage } from './storage/types.js';
import type { Clock, Durability, RunOptions, RunResult, SessionState, SessionStateSchema, WorkflowHistoryOption } from './types.js';

export interface WorkflowOptions<State extends SessionState = SessionState> {
  name: string;
  description?: string;
  steps: StepLike[];
  /** Where runs, step results, sessions and events are kept. @default new MemoryStorage() */
  storage?: Storage;
  /** Session for runs that name none. Without it, each such run gets a new session of its own. */
  sessionId?: string;
  /** The state a new session starts with (the guide's initial workflow_session_state). @default {} */
  sessionState?: State;
  /**
   * The shape of this workflow's session state (a zod schema fits): checked where a run loads it, so steps
   * typed `StepExecutor<State>` read what they declare. A state that does not match fails the run with
   * SessionStateSchemaError before any step runs. @default none (free-form state)
   */
  sessionStateSchema?: SessionStateSchema<State>;
  /** 'sync': every step committed before the next (resumable); 'exit': one write at the end. @default 'sync' */
  durability?: Durability;
  /** Write the run's events to storage (they are always in the run result). @default false */
  storeEvents?: boolean;
  /** Event types left out of the stored events and the run result (stream() still yields them). @default [] */
  eventsToSkip?: WorkflowEventType[];
  /** Every step sees the session's earlier runs in input.workflowHistory. @default false */
  addWorkflowHistory?: WorkflowHistoryOption;
  /** @default the system clock */
  clock?: Clock;
  /** Source of retry jitter, [0, 1). @default Math.random */
  random?: () => number;
  /** Lease owner id of this process. @default `${hostname}:${pid}:${random}` */
  owner?: string;
  /** A run's lease lasts this long without a heartbeat before recovery may claim it. @default 30000 */
  leaseTtlMs?: number;
  /** Failures of background work (lease heartbeats). @default process.emitWarning */
  onBackgroundError?: (error: unknown) => void;
}

/** A run started in the background. */
export interface RunHandle {
  readonly runId: string;
  readonly result: Promise<RunResult>;
  /** Cancels the run: status `cancelled`, steps see their signal abort. */
  cancel(reason?: unknown): void;
}

export interface StreamOptions extends RunOptions {
  /** Also yield step, Parallel, Condition, Loop and Router events (not only Workflow* ones). @default false */
  streamIntermediateSteps?: boolean;
}

/** Lets an Engine give its workflows one shared runtime (kept off the public surface). */
export const ATTACH_RUNTIME: unique symbol = Symbol('zapflow.attach-runtime');
export const RESUME_CLAIMED: unique symbol = Symbol('zapflow.resume-claimed');

export class Workflow<State extends SessionState = SessionState> implements WorkflowLike {
  readonly name: string;
  readonly description: string | undefined;
  readonly steps: readonly StepNode[];
  readonly sessionId: string | undefined;
  readonly [WORKFLOW_DEFINITION]: NestedWorkflowDefinition;
  /** The storage given at construction (an Engine refuses a different one). */
  readonly configuredStorage: Storage | undefined;
  private readonly definition: RunDefinition;
  private readonly options: WorkflowOptions<State>;
  private runtime: Runtime | undefined;

  constructor(options: WorkflowOptions<State>) {
    if (typeof options !== 'object' || options === null) throw new InvalidDefinitionError(undefined, 'new Workflow(options) needs { name, steps }.');
    this.name = assertStepName(options.name, 'new Workflow()');
    this.description = options.description;
    this.steps = toNodes(options.steps, `Workflow "${this.name}"`);
    if (this.steps.length === 0) throw new InvalidDefinitionError(undefined, `Workflow "${this.name}" needs at least one step.`);
    assertUniqueNames(this.steps, `Workflow "${this.name}"`);
    if (options.sessionId !== undefined && (typeof options.sessionId !== 'string' || options.sessionId === '')) {
      throw new InvalidDefinitionError(undefined, `Workflow "${this.name}": sessionId must be a non-empty string.`);
    }
    const durability = options.durability ?? 'sync';
    if (durability !== 'sync' && durability !== 'exit') throw new InvalidDefinitionError(undefined, `Workflow "${this.name}": durability must be 'sync' or 'exit' (got ${String(durability)}).`);
    const unknownEvents = (options.eventsToSkip ?? []).filter((type) => !EVENT_TYPES.includes(type));
    if (unknownEvents.length > 0) throw new InvalidDefinitionError(undefined, `Workflow "${this.name}": eventsToSkip has unknown event types ${unknownEvents.join(', ')}; known: ${EVENT_TYPES.join(', ')}.`);
    if (options.leaseTtlMs !== undefined && (!Number.isFinite(options.leaseTtlMs) || options.leaseTtlMs < 1000)) {
      throw new InvalidDefinitionError(undefined, `Workflow "${this.name}": leaseTtlMs must be ≥ 1000 ms (got ${options.leaseTtlMs}).`);
    }
    this.sessionId = options.sessionId;
    this.configuredStorage = options.storage;
    this.options = options;
    const workflowHistoryRuns = historyRunsOf(options.addWorkflowHistory, undefined);
    this.definition = {
      name: this.name,
      steps: this.steps,
      durability,
      storeEvents: options.storeEvents ?? false,
      eventsToSkip: options.eventsToSkip && options.eventsToSkip.length > 0 ? new Set(options.eventsToSkip) : undefined,
      workflowHistoryRuns,
      historyRunsToLoad: Math.max(workflowHistoryRuns, maxHistoryRuns(this.steps)),
      initialSessionState: options.sessionState,
      sessionStateSchema: options.sessionStateSchema,
    };
    this[WORKFLOW_DEFINITION] = { name: this.name, steps: this.steps, historyRuns: workflowHistoryRuns };
  }

  get storage(): Storage {
    return this.getRuntime().storage;
  }

  /** Runs the workflow and resolves with its result (status completed, error, cancelled or paused). */
  run(options: RunOptions): Promise<RunResult> {
    try {
      return this.launch(options, undefined).result;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** Starts the run in the background; `getRun(handle.runId)` reads it, `handle.cancel()` cancels it. */
  start(options: RunOptions): RunHandle {
    const runId = options?.runId ?? timeOrderedId();
    const active = this.launch({ ...options, runId }, undefined);
    return { runId, result: active.result, cancel: (reason?: unknown) => active.cancel(new RunCancelledError(runId, reason)) };
  }

  /** The run's events as they happen (an async iterable); `stream.result` is the run's result. */
  stream(options: StreamOptions): WorkflowStream {
    const runId = options?.runId ?? timeOrderedId();
    const intermediate = options?.streamIntermediateSteps ?? false;
    const queue = new EventQueue();
    const active = this.launch({ ...options, runId }, (event) => {
      if (intermediate || isWorkflowLevelEvent(event)) queue.push(event);
    });
    queue.onAbandon = () => active.cancel(new RunCancelledError(runId, 'the stream reader stopped reading'));
    const result = active.result;
    result.then(() => queue.end(), (error: unknown) => queue.end(error));
    return { runId, result, [Symbol.asyncIterator]: () => queue };
  }

  /** The stored run (waits for a run just started in this process to be written). */
  async getRun(runId: string): Promise<RunRecord | undefined> {
    const runtime = this.getRuntime();
    const active = runtime.active.get(runId);
    if (active !== undefined) await active.created;
    return runtime.storage.getRun(runId);
  }

  /** This workflow's runs, newest first. */
  listRuns(filter: Omit<RunFilter, 'workflowName'> = {}): Promise<{ runs: RunRecord[]; total: number }> {
    return this.getRuntime().storage.listRuns({ ...filter, workflowName: this.name });
  }

  /** Cancels a run executing in this process. False if it is not executing here. */
  cancel(runId: string, reason?: unknown): boolean {
    const active = this.getRuntime().active.get(runId);
    if (active === undefined || active.workflowName !== this.name) return false;
    active.cancel(new RunCancelledError(runId, reason));
    return true;
  }

  /** Continues a paused run: the step that paused runs again with `input.resumeData = data` (any process). */
  async resume(runId: string, data?: unknown): Promise<RunResult> {
    const runtime = this.getRuntime();
    const init = runtime.init();
    if (init !== undefined) await init;
    const record = await this.storedRun(runId);
    if (record.status !== 'paused' || record.pause === undefined) throw new RunNotPausedError(runId, record.status);
    const stepPath = record.pause.stepPath;
    const now = runtime.clock.now();
    if (!(await runtime.storage.markResumed(runId, resumeEnvelope(stepPath, data), runtime.owner, runtime.leaseExpiry(), now))) {
      const current = await runtime.storage.getRun(runId);
      throw new RunNotPausedError(runId, current?.status ?? 'gone');
    }
    const memo = await loadMemo(runtime.storage, runId);
    const rootRunId = await rootRunIdOf(runtime.storage, record);
    return this.launchPlan({ ...this.planFor(record), rootRunId, existing: { ...record, status: 'running' }, memo, resume: { stepPath, data } }).result;
  }

  /**
   * A new run of the same input, linked to the original (`parentRunId`). With `fromStep` (a top-level step
   * name), the steps before it reuse the original's recorded outputs and state changes; the rest run again.
   */
  async rerun(runId: string, options: { fromStep?: string; runId?: string } = {}): Promise<RunResult> {
    const runtime = this.getRuntime();
    const init = runtime.init();
    if (init !== undefined) await init;
    const parent = await this.storedRun(runId);
    const names = this.steps.map((step) => step.name);
    if (options.fromStep !== undefined && !names.includes(options.fromStep)) throw new UnknownStepError(this.name, options.fromStep, names);
    const memo = options.fromStep === undefined ? undefined : rerunMemo(await runtime.storage.getStepResults(runId), names, options.fromStep);
    return this.launchPlan({
      ...this.planFor(parent), runId: options.runId ?? timeOrderedId(), rootRunId: await rootRunIdOf(runtime.storage, parent), memo, copyReused: true, initialState: parent.initialState,
      parentRunId: parent.runId, rerunFromStep: options.fromStep ?? names[0],
    }).result;
  }

  /** Deletes finished runs (with their steps, events, outbox rows) and idle sessions older than `olderThan`. */
  async purge(request: PurgeRequest): Promise<PurgeCounts> {
    const runtime = this.getRuntime();
    return runtime.storage.purge({ before: purgeBefore(request, runtime.clock.now()), statuses: request.statuses, batchSize: request.batchSize });
  }

  /** @internal The Engine shares one runtime (storage, lease owner, heartbeat) across its workflows. */
  [ATTACH_RUNTIME](runtime: Runtime): void {
    if (this.runtime !== undefined && this.runtime !== runtime && this.runtime.active.size > 0) {
      throw new InvalidOptionError(`Workflow "${this.name}" has runs in flight; register it with the Engine before running it.`);
    }
    this.runtime = runtime;
  }

  /** @internal Recovery: continue a run claimed from storage (its lease is already ours). */
  async [RESUME_CLAIMED](record: RunRecord): Promise<RunResult> {
    const storage = this.getRuntime().storage;
    const memo = await loadMemo(storage, record.runId);
    const envelope = readResumeEnvelope(record.resumeData);
    return this.launchPlan({ ...this.planFor(record), rootRunId: await rootRunIdOf(storage, record), existing: record, memo, resume: envelope }).result;
  }

  private launch(options: RunOptions, listener: RunPlan['listener']): ActiveRun {
    const valid = validateRunOptions(options, this.name);
    const runId = valid.runId ?? timeOrderedId();
    return this.launchPlan({
      runId,
      // No session given: the run gets a session of its own, named after it (never a session shared by accident).
      sessionId: valid.sessionId ?? this.sessionId ?? runId,
      // …which nothing can have stored yet when the run id is new too: no session read, no history to load.
      newSession: valid.sessionId === undefined && this.sessionId === undefined && valid.runId === undefined,
      userId: valid.userId,
      input: valid.input,
      signal: valid.signal,
      listener,
    });
  }

  private launchPlan(plan: RunPlan): ActiveRun {
    return launchRun(this.definition, this.getRuntime(), plan);
  }

  private planFor(record: RunRecord): RunPlan {
    return { runId: record.runId, sessionId: record.sessionId, userId: record.input.userId, input: record.input };
  }

  private async storedRun(runId: string): Promise<RunRecord> {
    const record = await this.getRuntime().storage.getRun(runId);
    if (record === undefined) throw new RunNotFoundError(runId);
    if (record.workflowName !== this.name) throw new WorkflowMismatchError(runId, this.name, record.workflowName);
    return record;
  }

  private getRuntime(): Runtime {
    return (this.runtime ??= new Runtime({
      storage: this.options.storage ?? new MemoryStorage(),
      clock: this.options.clock ?? systemClock,
      random: this.options.random ?? Math.random,
      owner: this.options.owner,
      leaseTtlMs: this.options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
      onBackgroundError: this.options.onBackgroundError ?? ((error) => process.emitWarning(error instanceof Error ? error : String(error))),
    }));
  }
}
