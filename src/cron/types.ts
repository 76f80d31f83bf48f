/** The shapes of scheduled jobs: what a job is, what it receives, what the scheduler reports about it. */
import type { Logger } from '../logging.js';

/**
 * What a run reports back: counts only (purged rows, re-alerts sent…), never identifiers or personal data,
 * because the scheduler logs it as is.
 */
export type JobSummary = Record<string, number>;

export interface JobContext {
  /** The scheduler's clock when the run started (epoch ms): the instant the job measures ages against. */
  now: number;
  /**
   * Aborted when the scheduler stops or the job's lease is lost. Jobs that loop over many items check it
   * between items so a shutdown does not wait for a whole pass.
   */
  signal: AbortSignal;
  /** Already bound to `{ job: name }`. */
  logger: Logger;
  /** `schedule`: a cron tick; `manual`: `runNow` (CLI, admin, tests). */
  trigger: 'schedule' | 'manual';
}

export interface JobDefinition {
  /** Unique per scheduler; also names the storage lease (`cron:<name>`) shared by every process. */
  name: string;
  /** node-cron expression: 5 fields (minute precision) or 6 (with seconds first). */
  schedule: string;
  /**
   * IANA time zone the expression is read in.
   * @default the process time zone
   */
  timezone?: string;
  /**
   * How long the lease holds without renewal: the time after which another process may take over when this
   * one dies mid-run. The scheduler renews it every `leaseMs / 3` while the run lasts, so it does not need to
   * cover the longest run, only a stall.
   */
  leaseMs: number;
  run(context: JobContext): Promise<JobSummary | void>;
}

/** How one attempt to run a job ended. */
export type JobOutcome = 'completed' | 'failed' | 'skipped';

/**
 * Why a run was skipped: `overlap` — the previous run of the job in this process is still going;
 * `lease` — another process holds the job's lease (running it, or it just ran this tick);
 * `stopped` — the scheduler is stopping.
 */
export type JobSkipReason = 'overlap' | 'lease' | 'stopped';

export interface JobRunReport {
  job: string;
  outcome: JobOutcome;
  skipReason?: JobSkipReason;
  summary?: JobSummary;
  /** Set when `outcome === 'failed'`. */
  error?: Error;
  durationMs?: number;
}

/** Per-job figures for `/readyz`, `/metrics` and admins (this process only). */
export interface JobStatus {
  name: string;
  schedule: string;
  timezone?: string;
  /** A run of this job is in progress in this process. */
  running: boolean;
  /** Runs that ended (completed or failed) in this process. */
  runs: number;
  failures: number;
  /** Failures since the last completed run: > 0 means the job is currently broken. */
  consecutiveFailures: number;
  skippedOverlap: number;
  skippedLease: number;
  lastOutcome?: JobOutcome;
  lastSkipReason?: JobSkipReason;
  lastStartedAt?: number;
  lastFinishedAt?: number;
  lastDurationMs?: number;
  lastSummary?: JobSummary;
  lastError?: { code?: string; message: string };
  /** Next cron tick (epoch ms) while the scheduler is started. */
  nextRunAt?: number;
}

/** When a built-in job runs, overridable per deployment (its name, hence its lease, stays fixed). */
export type JobTiming = Partial<Pick<JobDefinition, 'schedule' | 'timezone' | 'leaseMs'>>;
