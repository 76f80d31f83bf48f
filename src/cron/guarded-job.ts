/**
 * One job behind its two guards, whoever triggers it (a cron tick or `runNow`):
 *  1. in this process, a run never starts while the previous one is still going (an in-memory flag, set
 *     synchronously so two ticks in the same turn of the event loop cannot both pass);
 *  2. across processes, a run needs the storage lease `cron:<name>`, so N replicas sharing one database run
 *     each tick once. The lease is renewed while the run lasts and handed back when it ends.
 * It also keeps the per-job figures admins and `/readyz` read. A run's failure is logged and counted here
 * and never escapes: a broken job must not take the process down.
 */
import type { Storage } from '../engine/index.js';
import { scrubString, type Logger } from '../logging.js';
import { CronLeaseLostError } from './errors.js';
import type { JobDefinition, JobRunReport, JobSkipReason, JobStatus, JobSummary } from './types.js';

export type LeaseStorage = Pick<Storage, 'tryAcquireLease' | 'releaseLease'>;

export interface AttemptOptions {
  trigger: 'schedule' | 'manual';
  /**
   * Keep the lease this long after the run STARTED instead of releasing it at once. A cron tick passes a
   * little under half its interval: a peer process whose clock fires the same tick a few hundred ms later
   * then finds the lease taken and does not run the tick a second time. `runNow` passes 0.
   */
  holdAfterStartMs: number;
  /** The scheduler's stop signal. */
  signal: AbortSignal;
  /** The tick's own time (what node-cron fired for), in the logs: peers that fire one tick log the same value. */
  scheduledAt?: number;
}

export class GuardedJob {
  private current: Promise<JobRunReport> | undefined;
  private readonly figures: Omit<JobStatus, 'running' | 'nextRunAt'>;
  private readonly leaseName: string;
  private readonly logger: Logger;

  constructor(
    readonly definition: JobDefinition,
    private readonly deps: { storage: LeaseStorage; owner: string; logger: Logger; now: () => number },
  ) {
    this.leaseName = `cron:${definition.name}`;
    this.logger = deps.logger.child({ job: definition.name });
    this.figures = {
      name: definition.name,
      schedule: definition.schedule,
      ...(definition.timezone ? { timezone: definition.timezone } : {}),
      runs: 0,
      failures: 0,
      consecutiveFailures: 0,
      skippedOverlap: 0,
      skippedLease: 0,
    };
  }

  status(): Omit<JobStatus, 'nextRunAt'> {
    return { ...structuredClone(this.figures), running: this.current !== undefined };
  }

  /** Resolves when no run of this job is in progress. */
  async idle(): Promise<void> {
    await this.current;
  }

  /** Runs the job if both guards allow it. Never rejects: failures are in the report. */
  attempt(options: AttemptOptions): Promise<JobRunReport> {
    if (this.current) {
      this.logger.warn({ trigger: options.trigger }, 'scheduled job skipped: its previous run is still going');
      return Promise.resolve(this.skipped('overlap'));
    }
    const run = this.execute(options).finally(() => {
      this.current = undefined;
    });
    this.current = run;
    return run;
  }

  skipped(reason: JobSkipReason): JobRunReport {
    if (reason === 'overlap') this.figures.skippedOverlap++;
    if (reason === 'lease') this.figures.skippedLease++;
    this.figures.lastOutcome = 'skipped';
    this.figures.lastSkipReason = reason;
    return { job: this.definition.name, outcome: 'skipped', skipReason: reason };
  }

  private async execute(options: AttemptOptions): Promise<JobRunReport> {
    const { storage, owner, now } = this.deps;
    const startedAt = now();
    let acquired: boolean;
    try {
      acquired = await storage.tryAcquireLease(this.leaseName, owner, startedAt + this.definition.leaseMs, startedAt);
    } catch (error) {
      return this.failed(toError(error), startedAt, 'could not take the job lease (storage unavailable?)');
    }
    if (!acquired) {
      this.logger.debug({ trigger: options.trigger, ...tickOf(options) }, 'scheduled job skipped: another process holds its lease');
      return this.skipped('lease');
    }

    const runSignal = new AbortController();
    const onStop = (): void => runSignal.abort(options.signal.reason);
    options.signal.addEventListener('abort', onStop, { once: true });
    if (options.signal.aborted) onStop();
    const renewal = this.renewLease(runSignal);
    this.figures.lastStartedAt = startedAt;
    try {
      const summary = (await this.definition.run({ now: startedAt, signal: runSignal.signal, logger: this.logger, trigger: options.trigger })) ?? {};
      if (renewal.lost()) return this.failed(new CronLeaseLostError(this.definition.name), startedAt, 'scheduled job lost its lease');
      return this.completed(summary, startedAt, options);
    } catch (error) {
      const reason = renewal.lost() ? new CronLeaseLostError(this.definition.name) : toError(error);
      return this.failed(reason, startedAt, 'scheduled job failed');
    } finally {
      options.signal.removeEventListener('abort', onStop);
      await renewal.stop();
      if (!renewal.lost()) await this.handBackLease(startedAt, options.holdAfterStartMs);
    }
  }

  /** Extends the lease every `leaseMs / 3`; when a peer took it meanwhile, aborts the run. */
  private renewLease(runSignal: AbortController): { lost(): boolean; stop(): Promise<void> } {
    const { storage, owner, now } = this.deps;
    let lost = false;
    let inFlight: Promise<void> | undefined;
    const timer = setInterval(() => {
      if (inFlight) return;
      const at = now();
      inFlight = storage
        .tryAcquireLease(this.leaseName, owner, at + this.definition.leaseMs, at)
        .then(
          (held) => {
            if (held || lost) return;
            lost = true;
            this.logger.error('scheduled job lost its lease to another process; stopping the run');
            runSignal.abort(new CronLeaseLostError(this.definition.name));
          },
          // A failed renewal is not a lost lease: the lease still holds until it expires; the next beat retries.
          (error: unknown) => this.logger.warn({ err: toError(error) }, 'could not renew the scheduled job lease'),
        )
        .finally(() => {
          inFlight = undefined;
        });
    }, Math.max(1, Math.floor(this.definition.leaseMs / 3)));
    timer.unref();
    return {
      lost: () => lost,
      // A renewal still in flight must land BEFORE the hand-back, or it would take the lease again after it.
      stop: async () => {
        clearInterval(timer);
        await inFlight;
      },
    };
  }

  private async handBackLease(startedAt: number, holdAfterStartMs: number): Promise<void> {
    const { storage, owner, now } = this.deps;
    const holdUntil = startedAt + holdAfterStartMs;
    try {
      const at = now();
      // Shortening our own lease is an acquire with an earlier expiry (the lease is ours, so it succeeds).
      if (holdUntil > at) await storage.tryAcquireLease(this.leaseName, owner, holdUntil, at);
      else await storage.releaseLease(this.leaseName, owner);
    } catch (error) {
      // Harmless: the lease expires on its own after leaseMs; peers just wait that long.
      this.logger.warn({ err: toError(error) }, 'could not hand back the scheduled job lease; it will expire on its own');
    }
  }

  private completed(summary: JobSummary, startedAt: number, { trigger, ...options }: AttemptOptions): JobRunReport {
    const finishedAt = this.deps.now();
    const durationMs = finishedAt - startedAt;
    Object.assign(this.figures, { lastOutcome: 'completed', lastFinishedAt: finishedAt, lastDurationMs: durationMs, lastSummary: summary, consecutiveFailures: 0 });
    delete this.figures.lastSkipReason;
    delete this.figures.lastError;
    this.figures.runs++;
    // Quiet when nothing happened: the SLA job ticks every minute.
    const didSomething = Object.values(summary).some((count) => count > 0);
    const level = didSomething || trigger === 'manual' ? 'info' : 'debug';
    this.logger[level]({ trigger, ...tickOf(options), durationMs, summary }, 'scheduled job completed');
    return { job: this.definition.name, outcome: 'completed', summary, durationMs };
  }

  private failed(error: Error, startedAt: number, message: string): JobRunReport {
    const finishedAt = this.deps.now();
    const durationMs = finishedAt - startedAt;
    this.figures.runs++;
    this.figures.failures++;
    this.figures.consecutiveFailures++;
    const code = (error as { code?: unknown }).code;
    Object.assign(this.figures, {
      lastOutcome: 'failed',
      lastFinishedAt: finishedAt,
      lastDurationMs: durationMs,
      lastError: { ...(typeof code === 'string' ? { code } : {}), message: scrubString(error.message) },
    });
    delete this.figures.lastSkipReason;
    this.logger.error({ err: error, durationMs, consecutiveFailures: this.figures.consecutiveFailures }, message);
    return { job: this.definition.name, outcome: 'failed', error, durationMs };
  }
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function tickOf(options: Pick<AttemptOptions, 'scheduledAt'>): { tick?: string } {
  return options.scheduledAt === undefined ? {} : { tick: new Date(options.scheduledAt).toISOString() };
}
