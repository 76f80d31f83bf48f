/**
 * Gives conversations a person took (`human`) back to the bot when nobody — agent or customer — wrote for
 * the idle time, so a forgotten claim does not leave a customer talking to no one.
 */
import type { ConversationLifecycle } from '../../service/lifecycle.js';
import type { ConversationRecord } from '../../conversations/store/types.js';
import { CronJobConfigError } from '../errors.js';
import type { JobDefinition, JobTiming } from '../types.js';
import { defineJob } from './timing.js';

export const IDLE_RELEASE_JOB = 'idle-release';

export interface IdleReleaseJobOptions {
  lifecycle: Pick<ConversationLifecycle, 'releaseIdle'>;
  /** Idle minutes before release (`Config['dispatch']['humanIdleReleaseMinutes']`, HUMAN_IDLE_RELEASE_MINUTES). */
  idleMinutes: number;
  /** Tells the customer the bot is back (AgentActions.idleReleased). @default nothing is said */
  onReleased?: (before: ConversationRecord) => Promise<void>;
  /** @default every 5 minutes, lease 2 minutes */
  timing?: JobTiming;
}

export function idleReleaseJob(options: IdleReleaseJobOptions): JobDefinition {
  if (!(Number.isFinite(options.idleMinutes) && options.idleMinutes > 0)) {
    throw new CronJobConfigError(IDLE_RELEASE_JOB, `idleMinutes must be a positive number (got ${String(options.idleMinutes)}); see HUMAN_IDLE_RELEASE_MINUTES`);
  }
  return defineJob(IDLE_RELEASE_JOB, { schedule: '*/5 * * * *', leaseMs: 2 * 60_000 }, options.timing, async () => {
    const released = await options.lifecycle.releaseIdle(options.idleMinutes * 60_000, options.onReleased);
    return { released: released.length };
  });
}
