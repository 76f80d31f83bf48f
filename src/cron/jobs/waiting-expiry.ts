/**
 * Handoffs no agent took within HUMAN_WAIT_EXPIRE_HOURS go back to the bot (ConversationLifecycle.expireWaiting),
 * so a conversation waiting for a human cannot wait — and be re-alerted about — forever.
 */
import type { ConversationLifecycle } from '../../service/lifecycle.js';
import { CronJobConfigError } from '../errors.js';
import type { JobDefinition, JobTiming } from '../types.js';
import { defineJob } from './timing.js';

export const WAITING_EXPIRY_JOB = 'waiting-expiry';

export interface WaitingExpiryJobOptions {
  lifecycle: Pick<ConversationLifecycle, 'expireWaiting'>;
  /** `Config['dispatch']['humanWaitExpireHours']` (HUMAN_WAIT_EXPIRE_HOURS). */
  expireHours: number;
  /** @default every 5 minutes, lease 2 minutes */
  timing?: JobTiming;
}

export function waitingExpiryJob(options: WaitingExpiryJobOptions): JobDefinition {
  if (!(Number.isFinite(options.expireHours) && options.expireHours > 0)) {
    throw new CronJobConfigError(WAITING_EXPIRY_JOB, `expireHours must be a positive number (got ${String(options.expireHours)}); see HUMAN_WAIT_EXPIRE_HOURS`);
  }
  return defineJob(WAITING_EXPIRY_JOB, { schedule: '*/5 * * * *', leaseMs: 2 * 60_000 }, options.timing, async () => {
    const expired = await options.lifecycle.expireWaiting(options.expireHours * 3_600_000);
    return { expired: expired.length };
  });
}
