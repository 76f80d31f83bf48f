/**
 * Pausing a run for a human. A step throws (or returns) a PauseRun — usually through `input.pause(reason)` —
 * and the run ends with status `paused`; `wf.resume(runId, data)` executes that step again with
 * `input.resumeData = data`. It is a control signal, not a failure: it is never retried or wrapped.
 */
export class PauseRun extends Error {
  readonly reason: string;
  /** What the outside world quotes when it resumes (e.g. in an approval link). Random unless given. */
  readonly resumeKey: string | undefined;
  /** Where the run paused; set by the engine when the step that raised it is known. */
  stepPath: string | undefined = undefined;

  constructor(reason: string, options?: { resumeKey?: string }) {
    super(`Run paused: ${reason}`);
    this.name = 'PauseRun';
    this.reason = reason;
    this.resumeKey = options?.resumeKey;
  }
}
