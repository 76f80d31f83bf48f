/**
 * Every error the scheduled jobs raise, each with a stable `code` (logs, `/readyz` and the CLI carry it), a
 * message that says what to do, and the original `cause` kept.
 */

export class CronError extends Error {
  /** Stable, machine-readable code. Never change one: dashboards and alerts match on it. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A job definition the scheduler cannot run (bad cron expression, unknown time zone, duplicate name…). */
export class CronJobConfigError extends CronError {
  constructor(readonly jobName: string, problem: string) {
    super('CRON_JOB_INVALID', `Scheduled job "${jobName}" is misconfigured: ${problem}.`);
  }
}

/** `runNow(name)` with a name no job has. */
export class UnknownCronJobError extends CronError {
  constructor(readonly jobName: string, readonly known: readonly string[]) {
    super('CRON_JOB_UNKNOWN', `There is no scheduled job "${jobName}"; known jobs: ${known.join(', ') || '(none)'}.`);
  }
}

/**
 * A job went through all its items but some failed (e.g. one conversation's re-alert could not be
 * enqueued). The others were done; the failed ones are retried on the next tick. `cause` is the first failure.
 */
export class CronJobPartialFailureError extends CronError {
  constructor(readonly jobName: string, readonly failed: number, readonly total: number, options?: { cause?: unknown }) {
    super(
      'CRON_JOB_PARTIAL_FAILURE',
      `Scheduled job "${jobName}" failed for ${failed} of ${total} item(s); they are retried on the next tick. See the cause and the logs for the first failure.`,
      options,
    );
  }
}

/** Another process took the job's lease while this one was still running it (the run was stopped early). */
export class CronLeaseLostError extends CronError {
  constructor(readonly jobName: string) {
    super(
      'CRON_LEASE_LOST',
      `Scheduled job "${jobName}" lost its lease while running (the event loop or the database stalled longer than leaseMs); the run was stopped. Raise leaseMs if this repeats.`,
    );
  }
}

/** `createScheduler` options it cannot work with (no owner, no storage…). */
export class SchedulerConfigError extends CronError {
  constructor(problem: string) {
    super('CRON_SCHEDULER_INVALID', `The job scheduler is misconfigured: ${problem}.`);
  }
}
