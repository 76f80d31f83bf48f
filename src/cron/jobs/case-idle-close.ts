/**
 * Closes cases the bot answered with a self-service text when the customer wrote nothing for
 * CASE_IDLE_CLOSE_HOURS: the problem is taken as solved, and the customer's next message opens a new case
 * (with a new protocol that references this one). Cases with a person are left to the agents.
 */
import type { CaseService } from '../../service/cases.js';
import { CronJobConfigError } from '../errors.js';
import type { JobDefinition, JobTiming } from '../types.js';
import { defineJob } from './timing.js';

export const CASE_IDLE_CLOSE_JOB = 'case-idle-close';

export interface CaseIdleCloseJobOptions {
  cases: Pick<CaseService, 'closeIdle'>;
  /** `Config['cases']['idleCloseHours']` (CASE_IDLE_CLOSE_HOURS). */
  idleHours: number;
  /** @default every 10 minutes, lease 5 minutes */
  timing?: JobTiming;
}

export function caseIdleCloseJob(options: CaseIdleCloseJobOptions): JobDefinition {
  if (!(Number.isFinite(options.idleHours) && options.idleHours > 0)) {
    throw new CronJobConfigError(CASE_IDLE_CLOSE_JOB, `idleHours must be a positive number (got ${String(options.idleHours)}); see CASE_IDLE_CLOSE_HOURS`);
  }
  return defineJob(CASE_IDLE_CLOSE_JOB, { schedule: '*/10 * * * *', leaseMs: 5 * 60_000 }, options.timing, async () => {
    const closed = await options.cases.closeIdle(options.idleHours * 60 * 60_000);
    return { closed: closed.length };
  });
}
