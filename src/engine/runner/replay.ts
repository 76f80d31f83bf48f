/** Building what a resumed, recovered or rerun run starts from: the records to reuse and the resume data. */
import type { RunRecord, StepResultRecord, Storage } from '../storage/types.js';

/** All records of a run by step path (completed ones are reused; errors are executed again). */
export async function loadMemo(storage: Storage, runId: string): Promise<Map<string, StepResultRecord>> {
  const memo = new Map<string, StepResultRecord>();
  for (const record of await storage.getStepResults(runId)) memo.set(record.stepPath, record);
  return memo;
}

/**
 * What `wf.resume(runId, data)` stores as the run's resumeData: the data and the path of the step that
 * paused. Storage clears the pause when the run is resumed, and a process that crashes during the resumed
 * step must still know, on recovery, which step the data is for.
 */
export interface ResumeEnvelope {
  stepPath: string;
  data: unknown;
}

export function resumeEnvelope(stepPath: string, data: unknown): ResumeEnvelope {
  return { stepPath, data };
}

export function readResumeEnvelope(stored: unknown): ResumeEnvelope | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { stepPath, data } = stored as Partial<ResumeEnvelope>;
  return typeof stepPath === 'string' ? { stepPath, data } : undefined;
}

/** A rerun from `fromStep` reuses the parent's records of every top-level step before it (and their children). */
export function rerunMemo(records: StepResultRecord[], stepNames: readonly string[], fromStep: string | undefined): Map<string, StepResultRecord> | undefined {
  if (fromStep === undefined) return undefined;
  const reused = stepNames.slice(0, stepNames.indexOf(fromStep));
  if (reused.length === 0) return undefined;
  const memo = new Map<string, StepResultRecord>();
  for (const record of records) {
    if (record.status === 'error') continue;
    if (reused.some((name) => record.stepPath === name || record.stepPath.startsWith(`${name}/`))) memo.set(record.stepPath, record);
  }
  return memo;
}

/** The first run of a rerun chain (following parentRunId; a purged ancestor ends the walk). */
export async function rootRunIdOf(storage: Storage, run: RunRecord): Promise<string> {
  let current = run;
  for (let depth = 0; depth < 100 && current.parentRunId !== undefined; depth++) {
    const parent = await storage.getRun(current.parentRunId);
    if (parent === undefined) return current.parentRunId;
    current = parent;
  }
  return current.runId;
}
