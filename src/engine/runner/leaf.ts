/**
 * Executing one leaf step (function, agent, team): reuse a recorded result, or run attempts with retries,
 * backoff and a per-attempt timeout; roll a failed attempt's state changes back; commit the result.
 * This is the per-step hot path: no clones, and no async frame for a step that answers synchronously.
 */
import { assertJsonSafeState } from './json-safe.js';
import { StepFailedError, StepTimeoutError } from '../errors.js';
import { PauseRun } from '../pause.js';
import { StepOutput } from '../step-output.js';
import type { StepRecordStatus, StepResultRecord } from '../storage/types.js';
import { isPromiseLike } from './promise-like.js';
import { loopTurn } from './loop-turn.js';
import { serializeError } from './errors-json.js';
import { reuseRecord } from './memo.js';
import type { ResolvedBackoff } from './retry.js';
import { backoffDelay } from './retry.js';
import type { Scope } from './scope.js';
import { diffFingerprints, fingerprintOf, restoreState } from './state.js';
import { RunStepInput } from './step-input.js';

/** What the runner needs from a leaf Step (an interface, so step.ts and the runner don't import each other). */
export interface LeafSpec {
  readonly name: string;
  readonly stepType: string;
  readonly maxRetries: number;
  readonly backoff: ResolvedBackoff;
  readonly timeoutMs: number | undefined;
  readonly skipOnFailure: boolean;
  readonly invoke: (input: RunStepInput) => unknown;
  /** `{ stepType }`, built once per step definition rather than once per execution. */
  readonly startedEventData: { stepType: string };
  historyRuns(): number;
}

/**
 * The common case runs without an async frame: no recorded result, no timeout, and a first attempt that
 * answers synchronously with success. Its commit is then the only promise. Anything else (a promise, a
 * throw, a pause, `success: false`) continues in runAttempts exactly where the first attempt left off.
 */
export function executeLeaf(step: LeafSpec, scope: Scope, path: string): Promise<StepOutput> {
  const run = scope.run;
  try {
    if (run.memo !== undefined) {
      const recorded = run.recorded(path);
      if (recorded !== undefined) return reuseLeaf(step, scope, path, recorded);
    }
    run.assertOpen();
    run.emit('StepStarted', path, step.name, step.startedEventData);
    const startedAt = run.clock.now();
    const input = new RunStepInput(scope, step.name, path, 1, step.historyRuns());
    const startTurn = run.writesBehind ? loopTurn() : NOT_BEHIND;
    let value: unknown;
    try {
      value = step.timeoutMs === undefined ? step.invoke(input) : attemptWithTimeout(step, input, scope, path, step.timeoutMs);
    } catch (error) {
      return runAttempts(step, scope, path, startedAt, input, { threw: error }, startTurn);
    }
    if (!isPromiseLike(value) && !(value instanceof PauseRun)) {
      const output = toStepOutput(value, step);
      if (output.success) {
        const writing = recordLeaf(step, scope, path, startedAt, 1, 'completed', output, input, run.writesBehind);
        if (writing === undefined) return Promise.resolve(completeLeaf(step, scope, path, 1, 'completed', output));
        if (run.chain !== undefined) {
          // Answered synchronously, so no I/O is waiting on it: the next step need not wait for its commit.
          run.behind(writing);
          return Promise.resolve(completeLeaf(step, scope, path, 1, 'completed', output));
        }
        return writing.then((written) => {
          run.committed(written);
          return completeLeaf(step, scope, path, 1, 'completed', output);
        });
      }
    }
    return runAttempts(step, scope, path, startedAt, input, { value }, startTurn);
  } catch (error) {
    return Promise.reject(error as Error);
  }
}

async function reuseLeaf(step: LeafSpec, scope: Scope, path: string, recorded: StepResultRecord): Promise<StepOutput> {
  const run = scope.run;
  const output = await reuseRecord(scope, recorded);
  run.emit('StepCompleted', path, step.name, { content: output.content, attempts: recorded.attempts, reused: true });
  scope.record(step.name, output);
  if (output.stop === true) run.stopOutput = output;
  return output;
}

/**
 * Settles the first attempt (its value or what it threw) and runs the retries: a failed attempt's state
 * changes are rolled back, the backoff slept, and the last failure either fails the run or skips the step.
 */
async function runAttempts(
  step: LeafSpec, scope: Scope, path: string, startedAt: number, firstInput: RunStepInput, first: { value?: unknown; threw?: unknown }, startTurn: number,
): Promise<StepOutput> {
  const run = scope.run;
  const before = scope.fingerprint;
  let attempt = 1;
  let input = firstInput;
  let pending = first;
  let output: StepOutput;
  let status: StepRecordStatus = 'completed';
  for (;;) {
    try {
      if ('threw' in pending) throw pending.threw;
      let value = pending.value;
      if (isPromiseLike(value)) value = await value;
      output = toStepOutput(value, step);
      if (!output.success) throw new Error(output.error?.message ?? `step returned success: false`);
      break;
    } catch (error) {
      restoreState(scope.state, before);
      if (error instanceof PauseRun) {
        error.stepPath ??= path;
        throw error;
      }
      run.assertOpen(); // cancelled: the cancellation wins over the step's own error, and is never retried
      if (attempt <= step.maxRetries) {
        const delayMs = backoffDelay(step.backoff, attempt, run.random);
        run.emit('StepRetry', path, step.name, { attempt, delayMs, error: serializeError(error) });
        await run.sleep(delayMs);
        attempt++;
        input = new RunStepInput(scope, step.name, path, attempt, step.historyRuns());
        try {
          pending = { value: step.timeoutMs === undefined ? step.invoke(input) : attemptWithTimeout(step, input, scope, path, step.timeoutMs) };
        } catch (thrown) {
          pending = { threw: thrown };
        }
        continue;
      }
      const failure = new StepFailedError(step.name, path, attempt, error);
      run.emit('StepError', path, step.name, { error: serializeError(failure), attempts: attempt, skipped: step.skipOnFailure });
      if (!step.skipOnFailure) throw failure;
      output = new StepOutput({ content: undefined, success: false, error: serializeError(failure), stepName: step.name, stepType: step.stepType });
      status = 'skipped';
      break;
    }
  }
  // Settled without leaving the microtask run it started in (no I/O waited on it): as a synchronous step.
  const behind = attempt === 1 && startTurn !== NOT_BEHIND && loopTurn() === startTurn;
  const writing = recordLeaf(step, scope, path, startedAt, attempt, status, output, input, behind);
  if (writing !== undefined) {
    if (behind && run.chain !== undefined) run.behind(writing);
    else run.committed(await writing);
  }
  return completeLeaf(step, scope, path, attempt, status, output);
}

/** startTurn of a run without write-behind. */
const NOT_BEHIND = -1;

/** Takes the state change and commits the step's record (and its outbox rows, if it completed). */
function recordLeaf(
  step: LeafSpec, scope: Scope, path: string, startedAt: number, attempt: number, status: StepRecordStatus, output: StepOutput, input: RunStepInput,
  behind: boolean,
): Promise<{ sessionVersion?: number }> | undefined {
  const run = scope.run;
  const before = scope.fingerprint;
  // A step may assign a new object to input.workflowSessionState (as the guide does when it is None).
  const assigned = input.workflowSessionState;
  if (status === 'completed' && assigned !== scope.state && typeof assigned === 'object' && assigned !== null) scope.state = assigned;
  try {
    assertJsonSafeState(scope.state, step.name);
  } catch (error) {
    // Not retried: the same code would set the same value again. The run ends loudly, naming key and step.
    restoreState(scope.state, before);
    throw new StepFailedError(step.name, path, attempt, error);
  }
  const after = before.size === 0 && isEmpty(scope.state) ? before : fingerprintOf(scope.state);
  const stateDelta = diffFingerprints(before, after);
  scope.fingerprint = after;
  run.stepsExecuted++;
  const finishedAt = run.clock.now();
  return run.commit(
    scope,
    { runId: run.runId, stepPath: path, stepName: step.name, stepType: step.stepType, status, output: storedOutput(output), stateDelta, attempts: attempt, startedAt, finishedAt },
    status === 'completed' ? input.stagedOutbox() : undefined,
    behind,
  );
}

/** After the commit: the step's output becomes visible to later steps. */
function completeLeaf(step: LeafSpec, scope: Scope, path: string, attempt: number, status: StepRecordStatus, output: StepOutput): StepOutput {
  const run = scope.run;
  if (status === 'completed') run.emit('StepCompleted', path, step.name, { content: output.content, attempts: attempt, reused: false });
  scope.record(step.name, output);
  if (output.stop === true) run.stopOutput = output;
  return output;
}

/**
 * An attempt with a timeout gets its own signal, aborted by the timer or by the run's cancellation, and ends
 * at that moment even if the step ignores its signal.
 */
function attemptWithTimeout(step: LeafSpec, input: RunStepInput, scope: Scope, path: string, timeoutMs: number): Promise<unknown> {
  const run = scope.run;
  const controller = new AbortController();
  input.useSignal(controller.signal);
  return new Promise<unknown>((resolve, reject) => {
    let stopTimer = (): void => {};
    let unhook = (): void => {};
    const cleanup = (): void => {
      stopTimer();
      unhook();
    };
    const abort = (reason: unknown): void => {
      cleanup();
      controller.abort(reason);
      reject(reason as Error);
    };
    stopTimer = run.clock.setTimer(timeoutMs, () => abort(new StepTimeoutError(path, timeoutMs)));
    unhook = run.onCancel(abort);
    Promise.resolve()
      .then(() => step.invoke(input))
      .then(
        (value) => {
          cleanup();
          resolve(value);
        },
        (error: unknown) => {
          cleanup();
          reject(error as Error);
        },
      );
  });
}

function toStepOutput(value: unknown, step: LeafSpec): StepOutput {
  if (value instanceof PauseRun) throw value;
  const output = value instanceof StepOutput ? value : new StepOutput({ content: value });
  output.stepName = step.name;
  output.stepType = step.stepType;
  return output;
}

/** The record keeps only what the output adds to the record's own fields (name and type are already there). */
function storedOutput(output: StepOutput): Record<string, unknown> {
  const stored: Record<string, unknown> = { content: output.content };
  if (!output.success) stored.success = false;
  if (output.error !== undefined) stored.error = output.error;
  if (output.stop !== undefined) stored.stop = output.stop;
  if (output.media !== undefined) stored.media = output.media;
  if (output.metrics !== undefined) stored.metrics = output.metrics;
  return stored;
}

function isEmpty(state: object): boolean {
  for (const _key in state) return false;
  return true;
}
