/**
 * Condition and Router decisions are recorded (a record of type `decision` at the composite's own path), so a
 * resumed run takes the same branch even when the evaluator is an LLM call that would answer differently.
 */
import { StepFailedError } from '../errors.js';
import { PauseRun } from '../pause.js';
import type { StepInput } from '../types.js';
import { isPromiseLike } from './promise-like.js';
import { loopTurn } from './loop-turn.js';
import { recordedDecision } from './memo.js';
import type { Scope } from './scope.js';
import { applyDelta, diffFingerprints, fingerprintOf, restoreState } from './state.js';
import { RunStepInput } from './step-input.js';

/**
 * Returns the recorded decision at `path`, or evaluates it: `evaluate` gets a StepInput (its state changes are
 * recorded with the decision), `resolve` turns the raw answer into what is recorded (it may throw a clear
 * error, e.g. an unknown route, which is not wrapped).
 */
export async function decide<T>(
  scope: Scope,
  path: string,
  name: string,
  evaluate: (input: StepInput) => unknown,
  resolve: (raw: unknown) => T,
): Promise<T> {
  const run = scope.run;
  const recorded = run.memo === undefined ? undefined : recordedDecision(scope, path);
  if (recorded !== undefined) {
    scope.fingerprint = applyDelta(scope.state, scope.fingerprint, recorded.stateDelta);
    run.stepsReused++;
    if (run.copyReused) await run.commitAndWait(scope, { ...recorded, runId: run.runId }, undefined, true);
    return (recorded.output as { decision: T }).decision;
  }
  run.assertOpen();
  const startedAt = run.clock.now();
  const before = scope.fingerprint;
  const input = new RunStepInput(scope, name, path, 1, 0);
  let raw: unknown;
  const startTurn = loopTurn();
  try {
    raw = evaluate(input);
    if (isPromiseLike(raw)) raw = await raw;
  } catch (error) {
    restoreState(scope.state, before);
    run.assertOpen();
    if (error instanceof PauseRun) error.stepPath ??= path;
    throw error instanceof PauseRun ? error : new StepFailedError(name, path, 1, error);
  }
  const decision = resolve(raw);
  const after = fingerprintOf(scope.state);
  const stateDelta = diffFingerprints(before, after);
  scope.fingerprint = after;
  run.stepsExecuted++;
  await run.commitAndWait(
    scope,
    { runId: run.runId, stepPath: path, stepName: name, stepType: 'decision', status: 'completed', output: { decision }, stateDelta, attempts: 1, startedAt, finishedAt: run.clock.now() },
    undefined,
    // An evaluator that waited on I/O (an LLM routing call) is recorded before the branch it chose starts.
    loopTurn() === startTurn,
  );
  return decision;
}
