/**
 * Executing one leaf step (function, agent, team): reuse a recorded result, or run attempts with retries,
 * backoff and a per-attempt timeout; roll a failed attempt's state changes back; commit the result.
 * This is the per-step hot path: no clones, no per-step closures unless the step has a timeout.
 */
import { StepFailedError, StepTimeoutError } from '../errors.js';
import { PauseRun } from '../pause.js';
import { StepOutput } from '../step-output.js';
import type { StepRecordStatus } from '../storage/types.js';
import { isPromiseLike } from './promise-like.js';
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

export async function executeLeaf(step: LeafSpec, scope: Scope, path: string): Promise<StepOutput> {
  const run = scope.run;
  if (run.memo !== undefined) {
    const recorded = run.recorded(path);
    if (recorded !== undefined) {
      const output = await reuseRecord(scope, recorded);
      run.emit('StepCompleted', path, step.name, { content: output.content, attempts: recorded.attempts, reused: true });
      scope.record(step.name, output);
      if (output.stop === true) run.stopOutput = output;
      return output;
    }
  }
  run.assertOpen();
  run.emit('StepStarted', path, step.name, step.startedEventData);
  const startedAt = run.clock.now();
  const before = scope.fingerprint;
  let attempt = 0;
  let output: StepOutput;
  let status: StepRecordStatus = 'completed';
  let input: RunStepInput;
  for (;;) {
    attempt++;
    input = new RunStepInput(scope, step.name, path, attempt, step.historyRuns());
    try {
      let value = step.timeoutMs === undefined ? step.invoke(input) : attemptWithTimeout(step, input, scope, path, step.timeoutMs);
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
  // A step may assign a new object to input.workflowSessionState (as the guide does when it is None).
  const assigned = input.workflowSessionState;
  if (status === 'completed' && assigned !== scope.state && typeof assigned === 'object' && assigned !== null) scope.state = assigned;
  const after = before.size === 0 && isEmpty(scope.state) ? before : fingerprintOf(scope.state);
  const stateDelta = diffFingerprints(before, after);
  scope.fingerprint = after;
  run.stepsExecuted++;
  const finishedAt = run.clock.now();
  const writing = run.commit(
    scope,
    { runId: run.runId, stepPath: path, stepName: step.name, stepType: step.stepType, status, output: storedOutput(output), stateDelta, attempts: attempt, startedAt, finishedAt },
    status === 'completed' ? input.stagedOutbox() : undefined,
  );
  if (writing !== undefined) run.committed(await writing);
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
