/**
 * Retention (LGPD): deletes what is older than the retention age — finished runs with their steps, events
 * and outbox rows, idle sessions (engine storage), done inbox rows and idle conversations (service store),
 * resolved cases with their runs and typifications, audit entries and corrections.
 * Running and paused runs, and conversations still with a person, are never purged (the storages enforce it).
 * Only counts are logged: what was deleted is personal data by definition.
 */
import type { ServiceStore } from '../../conversations/store/types.js';
import type { Storage } from '../../engine/index.js';
import { CronJobConfigError } from '../errors.js';
import type { JobDefinition, JobTiming } from '../types.js';
import { defineJob } from './timing.js';

export const RETENTION_JOB = 'retention';
const DAY_MS = 24 * 60 * 60_000;

export interface RetentionJobOptions {
  storage: Pick<Storage, 'purge'>;
  /** With `cases`: resolved cases, audit entries and corrections past the age go too. */
  serviceStore: Pick<ServiceStore, 'purge'> & Partial<Pick<ServiceStore, 'cases'>>;
  /** Age in days past which data is deleted (`Config['retentionDays']`, RETENTION_DAYS). */
  retentionDays: number;
  /** @default daily at 03:30 America/Sao_Paulo (quiet hours), lease 10 minutes */
  timing?: JobTiming;
}

export function retentionJob(options: RetentionJobOptions): JobDefinition {
  if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
    throw new CronJobConfigError(RETENTION_JOB, `retentionDays must be an integer ≥ 1 (got ${String(options.retentionDays)}); see RETENTION_DAYS`);
  }
  return defineJob(RETENTION_JOB, { schedule: '30 3 * * *', timezone: 'America/Sao_Paulo', leaseMs: 10 * 60_000 }, options.timing, async ({ now, signal, logger }) => {
    const before = now - options.retentionDays * DAY_MS;
    const engine = await options.storage.purge({ before });
    // Stopping between the two purges is safe: each is complete on its own and the rest waits for tomorrow.
    if (signal.aborted) return { ...engine, inbox: 0, conversations: 0, cases: 0, audit: 0, corrections: 0 };
    const service = await options.serviceStore.purge(before);
    const people = options.serviceStore.cases ? await options.serviceStore.cases.purgeBefore(before) : { cases: 0, audit: 0, corrections: 0 };
    const summary = { ...engine, ...service, ...people };
    logger.info({ retentionDays: options.retentionDays, before: new Date(before).toISOString(), purged: summary }, 'retention purge done');
    return summary;
  });
}
