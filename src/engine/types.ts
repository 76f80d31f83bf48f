/**
 * Public types of the engine: what a step receives (StepInput), what a workflow run takes and returns, and
 * the Agent/Team seam. Names follow the Agno Workflows 2.0 guide in TypeScript casing
 * (`workflow_session_state` → `workflowSessionState`, `previous_step_content` → `previousStepContent`).
 */
import type { WorkflowEvent } from './events.js';
import type { StepOutput } from './step-output.js';
import type { RunStatus, SerializedError } from './storage/types.js';

/** The session state a step reads and mutates. Values must be JSON (they are stored as JSON). */
export type SessionState = Record<string, unknown>;

/** One earlier run of the same session, as steps see it with `addWorkflowHistory`. */
export interface WorkflowHistoryEntry {
  runId: string;
  /** The run's input message. */
  input: unknown;
  /** The run's final content. */
  content: unknown;
  /** When the run started and finished (epoch ms). */
  createdAt: number;
  finishedAt?: number;
}

/** Durable side effects of a step: rows written in the same storage transaction as the step's result. */
export interface StepOutbox {
  /**
   * Stages a message for `topic` (e.g. `whatsapp.alert`). It is written only if the step completes, in the
   * same commit as its result, so a resumed or retried step never sends twice. The idempotency key defaults to
   * `${runId}/${stepPath}` (`#2`, `#3`… appended for further messages of the same step). Returns the key.
   */
  enqueue(topic: string, payload: unknown, options?: { key?: string }): string;
}

/**
 * A typed reference to a step's content: `const report = stepRef<Report>('report_generation')` names the step
 * once, and `input.getStepContent(report)` is a `Report | undefined`, without a string spelled twice and a cast.
 */
export interface StepRef<Content> {
  readonly stepName: string;
  /** Type only: never set. */
  readonly content?: Content;
}

/**
 * Checks a workflow's session state where it is loaded (`WorkflowOptions.sessionStateSchema`): a zod schema
 * fits. `parse` returns the state the run works on, or throws to fail the run loudly.
 */
export interface SessionStateSchema<State extends SessionState = SessionState> {
  parse(value: unknown): State;
}

/** What every step (function, agent, team, evaluator) receives. `State`: the workflow's session state. */
export interface StepInput<State extends SessionState = SessionState> {
  /** The run's input message. */
  readonly message: unknown;
  /** Content of the step that ran just before (undefined for the first step). */
  readonly previousStepContent: unknown;
  /** Outputs of the steps that ran so far in this run, by step name (the latest wins for loop iterations). */
  readonly previousStepOutputs: Readonly<Record<string, StepOutput>>;
  /** Content of an earlier step by name; for a Parallel, a record of branch name → content. */
  getStepContent(stepName: string): unknown;
  getStepContent<Content>(step: StepRef<Content>): Content | undefined;
  readonly additionalData: Readonly<Record<string, unknown>>;
  readonly media: readonly unknown[];
  /**
   * The session's state: mutate it freely (or assign a new object). Inside a Parallel branch this is the
   * branch's own copy; branches merge in declared order when all have finished.
   *
   * Stored as JSON, so it holds JSON values only: strings, finite numbers, booleans, null, arrays and plain
   * objects. A value JSON would change or drop — a Date, Map, Set, BigInt, NaN/Infinity, a class instance,
   * `undefined` inside an array — fails the step at its commit with `SessionStateValueError` (code
   * `SESSION_STATE_NOT_JSON`) naming the key, where inside it, and the step; nothing is silently changed.
   * An `undefined` object property is left out (reads back the same); setting a top-level key to `undefined`
   * deletes it.
   */
  workflowSessionState: State;
  /** Earlier runs of this session (only with `addWorkflowHistory` on the workflow or the step; else empty). */
  readonly workflowHistory: readonly WorkflowHistoryEntry[];
  readonly runId: string;
  /**
   * The run this one descends from through reruns (`parentRunId` chain), or this run itself. Key customer-
   * visible effects on it (protocol numbers, alerts) so a rerun re-computes without repeating them.
   */
  readonly rootRunId: string;
  readonly sessionId: string;
  readonly userId: string | undefined;
  /** Aborted when the run is cancelled or this attempt times out: pass it to fetch(), SDK calls, etc. */
  readonly signal: AbortSignal;
  /** Name and stable path of the step being executed (`final_processing/validation`, `loop/#2/research`). */
  readonly stepName: string;
  readonly stepPath: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** The data passed to `wf.resume(runId, data)`, for the step that paused the run; undefined otherwise. */
  readonly resumeData: unknown;
  /** Durable side effects written with this step's result (exactly-once delivery by the app's outbox). */
  readonly outbox: StepOutbox;
  /** Pauses the run for a human (status `paused`); `wf.resume(runId, data)` runs this step again with `resumeData`. */
  pause(reason: string, options?: { resumeKey?: string }): never;
}

/**
 * A function step: returns a StepOutput, or any value (which becomes the output's content). `State` is the
 * session state its workflow declares; a step typed for it fits any Step (the workflow's schema checked the
 * state when the run loaded it), so its parameter is declared method-style (bivariant) on purpose.
 */
export type StepExecutor<State extends SessionState = SessionState> = {
  run(input: StepInput<State>): unknown;
}['run'];

/**
 * The agent seam. Real agents (src/agents) implement it; the engine only calls `run`. The input string is the
 * previous step's content (or the run message for the first step), JSON-stringified if it is not a string.
 */
export interface StepAgent {
  readonly name: string;
  run(
    input: string,
    options?: { signal?: AbortSignal; stepInput?: StepInput },
  ): Promise<{ content: unknown; metrics?: Record<string, unknown> }>;
}

/** A team is run the same way as an agent. */
export type StepTeam = StepAgent;

/** Exponential backoff between attempts: delay = min(maxMs, initialMs × factor^(retry-1)) ± jitter. */
export interface RetryBackoff {
  /** @default 200 */
  initialMs?: number;
  /** @default 2 */
  factor?: number;
  /** @default 10_000 */
  maxMs?: number;
  /** Fraction of the delay randomised either way (0 = none, 0.2 = ±20 %), so retries of many runs spread out. @default 0.2 */
  jitter?: number;
}

/** `true` = the last 3 runs; or how many. */
export type WorkflowHistoryOption = boolean | { lastRuns: number };

/**
 * The engine's time source. Injected in tests (fake clock) so retries, timeouts and leases are tested
 * without sleeping; the default uses Date.now and setTimeout (vitest fake timers work with it too).
 */
export interface Clock {
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. `unref`: don't keep the process alive for it. */
  setTimer(ms: number, fn: () => void, options?: { unref?: boolean }): () => void;
}

/** `'sync'`: each step is committed before the next starts (resumable). `'exit'`: one write at the end (throwaway runs). */
export type Durability = 'sync' | 'exit';

/** Arguments of `wf.run()`, `wf.stream()` and `wf.start()`. */
export interface RunOptions {
  /** The input message (JSON). */
  message: unknown;
  /** Conversation key. Defaults to the workflow's sessionId. Runs of one session never interleave. */
  sessionId?: string;
  userId?: string;
  additionalData?: Record<string, unknown>;
  media?: unknown[];
  /** Cancels the run when aborted (status `cancelled`; steps see it through `input.signal`). */
  signal?: AbortSignal;
  /** Run id to use (e.g. derived from an inbound message id); a random UUID by default. Must be unique. */
  runId?: string;
}

/** What a run ends with. */
export interface RunResult {
  runId: string;
  sessionId: string;
  /** `completed` (also after a step's `stop`), `error`, `cancelled`, or `paused` (waiting for `wf.resume`). */
  status: Extract<RunStatus, 'completed' | 'error' | 'cancelled' | 'paused'>;
  /** The last executed top-level step's content (or the stopping step's content). */
  content: unknown;
  /** Output of each top-level step, in order (composites hold their children's outputs in `steps`). */
  stepResults: StepOutput[];
  /** Events of the run, in order (minus `eventsToSkip`). */
  events: WorkflowEvent[];
  metrics: RunMetrics;
  /** Set when status is `error` or `cancelled`: a typed error (StepFailedError, UnknownRouteError, …) with its cause chain. */
  error?: Error;
  /** Set when status is `paused`. */
  pause?: { stepPath: string; reason: string; resumeKey: string };
  /** The session state after the run. */
  sessionState: SessionState;
}

// A type (not an interface) so it is assignable to the stored Record<string, unknown>.
export type RunMetrics = {
  durationMs: number;
  /** Steps (leaf steps and decisions) executed in this process for this run. */
  stepsExecuted: number;
  /** Steps whose recorded result was reused (resume, rerun). */
  stepsReused: number;
};

/** Serialized error as stored and as put in events. */
export type { SerializedError };
