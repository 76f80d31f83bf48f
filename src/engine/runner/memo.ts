/**
 * Resume and rerun are a replay with memoization: the runner walks the definition again and a step path
 * that has a completed record gets the recorded output and state delta instead of executing.
 */
import { StepOutput } from '../step-output.js';
import type { StepResultRecord } from '../storage/types.js';
import type { Scope } from './scope.js';
import { applyDelta } from './state.js';

/** Applies the record's delta to the scope's state and gives back its output (registered like a fresh one). */
export async function reuseRecord(scope: Scope, record: StepResultRecord): Promise<StepOutput> {
  const run = scope.run;
  scope.fingerprint = applyDelta(scope.state, scope.fingerprint, record.stateDelta);
  run.stepsReused++;
  // A rerun is a new run: it gets its own copy of every record it reuses, so it can itself be resumed.
  if (run.copyReused) await run.commitAndWait(scope, { ...record, runId: run.runId }, undefined, true);
  const output = StepOutput.fromJSON(record.output);
  output.stepName ??= record.stepName;
  output.stepType ??= record.stepType;
  return output;
}

/** The decision a Condition/Router recorded at its own path (its output is `{ decision }`). */
export function recordedDecision(scope: Scope, path: string): StepResultRecord | undefined {
  const record = scope.run.recorded(path);
  return record !== undefined && record.stepType === 'decision' ? record : undefined;
}
