/**
 * The job scheduler: node-cron decides WHEN, GuardedJob decides WHETHER (no self-overlap, one process per
 * tick through the storage lease). node-cron's own `noOverlap` / `distributed` options are not used: the
 * same guards must also apply to `runNow` (CLI, admin, tests), and the lease must live in our storage, where
 * every replica sees it.
 */
import { createTask, validateDetailed, type Logger as CronLogger, type ScheduledTask, type TaskContext } from 'node-cron';
import { silentLogger, type Logger } from '../logging.js';
import { CronJobConfigError, SchedulerConfigError, UnknownCronJobError } from './errors.js';
import { GuardedJob, type LeaseStorage } from './guarded-job.js';
import type { JobDefinition, JobRunReport, JobStatus } from './types.js';

/**
 * Upper bound of how long a tick's lease is kept after the run started (see `holdAfterStartMs`). node-cron
 * fires a tick at most 1 s late (else it counts it as missed), so peers fire the same tick within about a
 * second of each other plus clock skew; 30 s is ample and still lets `zapflow purge` run soon after.
 */
const MAX_TICK_HOLD_MS = 30_000;
const MIN_LEASE_MS = 1_000;
const JOB_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export interface SchedulerOptions {
  /** Where the job leases live: the engine storage every process shares. */
  storage: LeaseStorage;
  /** This process's identity in the leases (unique per process, e.g. `hostname:pid:random`). */
  owner: string;
  jobs: JobDefinition[];
  /** @default silent */
  logger?: Logger;
  /**
   * Clock for leases and for the `now` jobs measure against (epoch ms).
   * @default Date.now
   */
  now?: () => number;
}

export interface Scheduler {
  readonly jobNames: readonly string[];
  /** Schedules every job. Idempotent. */
  start(): void;
  /** Stops the cron tasks, aborts the running jobs' signals and waits for those runs to end. */
  stop(): Promise<void>;
  /**
   * Runs a job now, behind the same guards as a tick (skipped if it is already running here or another
   * process holds its lease). Resolves with the report; rejects only for an unknown job name.
   */
  runNow(name: string): Promise<JobRunReport>;
  /** Per-job figures of this process, in definition order. */
  status(): JobStatus[];
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  validateOptions(options);
  const logger = (options.logger ?? silentLogger).child({ component: 'cron' });
  const now = options.now ?? Date.now;
  const jobs = new Map<string, GuardedJob>();
  for (const definition of options.jobs) {
    jobs.set(definition.name, new GuardedJob(definition, { storage: options.storage, owner: options.owner, logger, now }));
  }
  let tasks = new Map<string, ScheduledTask>();
  let stopSignal = new AbortController();
  let stopping = false;

  const tick = (job: GuardedJob, task: ScheduledTask, context: TaskContext): Promise<JobRunReport> => {
    const next = task.getNextRun();
    const intervalMs = next ? next.getTime() - context.date.getTime() : 0;
    return job.attempt({
      trigger: 'schedule', holdAfterStartMs: Math.min(Math.floor(intervalMs / 2), MAX_TICK_HOLD_MS), signal: stopSignal.signal,
      // Cron's granularity is the second: the tick a peer fired for is the same second.
      scheduledAt: Math.floor(context.date.getTime() / 1000) * 1000,
    });
  };

  return {
    jobNames: [...jobs.keys()],

    start() {
      if (tasks.size > 0) return;
      stopping = false;
      stopSignal = new AbortController();
      for (const job of jobs.values()) {
        const { name, schedule, timezone } = job.definition;
        const task: ScheduledTask = createTask(schedule, (context) => tick(job, task, context), {
          name: `zapflow:${name}`,
          ...(timezone ? { timezone } : {}),
          logger: cronLogger(logger.child({ job: name })),
        });
        tasks.set(name, task);
      }
      for (const task of tasks.values()) void task.start();
      logger.info({ jobs: [...jobs.keys()] }, 'scheduled jobs started');
    },

    async stop() {
      stopping = true;
      stopSignal.abort(new Error('the scheduler is stopping'));
      const stopped = tasks;
      tasks = new Map();
      // destroy() also removes the task from node-cron's process-wide registry (stop() alone would leak it).
      await Promise.all([...stopped.values()].map(async (task) => task.destroy()));
      await Promise.all([...jobs.values()].map((job) => job.idle()));
      if (stopped.size > 0) logger.info('scheduled jobs stopped');
    },

    async runNow(name) {
      const job = jobs.get(name);
      if (!job) throw new UnknownCronJobError(name, [...jobs.keys()]);
      if (stopping) return job.skipped('stopped');
      return job.attempt({ trigger: 'manual', holdAfterStartMs: 0, signal: stopSignal.signal });
    },

    status() {
      return [...jobs.values()].map((job) => {
        const next = tasks.get(job.definition.name)?.getNextRun();
        return { ...job.status(), ...(next ? { nextRunAt: next.getTime() } : {}) };
      });
    },
  };
}

/** Configuration is checked at construction, so a typo in a schedule stops the start, naming the job. */
function validateOptions(options: SchedulerOptions): void {
  if (typeof options.owner !== 'string' || options.owner.trim() === '') {
    throw new SchedulerConfigError('`owner` must be a non-empty string unique to this process (e.g. hostname:pid)');
  }
  if (!options.storage || typeof options.storage.tryAcquireLease !== 'function') {
    throw new SchedulerConfigError('`storage` must provide tryAcquireLease/releaseLease (the engine storage)');
  }
  const seen = new Set<string>();
  for (const job of options.jobs) {
    const name = String(job.name);
    if (!JOB_NAME.test(name)) throw new CronJobConfigError(name, 'the name must be 1–63 lowercase letters, digits, ".", "_" or "-"');
    if (seen.has(name)) throw new CronJobConfigError(name, 'two jobs have this name; names must be unique');
    seen.add(name);
    const validation = validateDetailed(job.schedule);
    if (!validation.valid) {
      const problems = validation.errors.map((e) => e.message).join('; ') || 'not a cron expression';
      throw new CronJobConfigError(name, `schedule "${job.schedule}" is invalid (${problems})`);
    }
    if (job.timezone !== undefined && !isTimeZone(job.timezone)) {
      throw new CronJobConfigError(name, `time zone "${job.timezone}" is unknown; use an IANA name such as America/Sao_Paulo`);
    }
    if (!Number.isInteger(job.leaseMs) || job.leaseMs < MIN_LEASE_MS) {
      throw new CronJobConfigError(name, `leaseMs must be an integer ≥ ${MIN_LEASE_MS} (got ${String(job.leaseMs)})`);
    }
    if (typeof job.run !== 'function') throw new CronJobConfigError(name, '`run` must be a function');
  }
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** node-cron's own messages (missed ticks under a blocked event loop) go to our JSON logs, not the console. */
function cronLogger(logger: Logger): CronLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string | Error, err?: Error) => {
    if (message instanceof Error) logger[level]({ err: message }, message.message);
    else logger[level](err ? { err } : {}, message);
  };
  return { debug: write('debug'), info: write('debug'), warn: write('warn'), error: write('error') };
}
