/**
 * SLA re-alerts: a handoff waiting for a person longer than its urgency's limit alerts the agents again,
 * once per interval, and its urgency rises every N re-alerts (so the next limit is shorter).
 *
 * The clock of a conversation is its last alert (`lastAlertAt`, set by the first alert and by every
 * re-alert), falling back to `waitingSince`. Re-alerting moves `lastAlertAt`, which is what keeps the job at
 * once per interval even though it ticks every minute.
 *
 * Order matters for crashes: the `realert` port runs first (the app enqueues an outbox row keyed
 * `realert:<protocol>:<n>`), then the re-alert is counted. A crash in between re-runs the port with the
 * same number next tick, and the outbox drops the duplicate: agents never get the same re-alert twice.
 */
import type { ConversationLifecycle } from '../../service/lifecycle.js';
import type { ConversationRecord, ServiceStore, Urgency } from '../../conversations/store/types.js';
import { CronJobConfigError, CronJobPartialFailureError } from '../errors.js';
import type { JobDefinition, JobTiming } from '../types.js';
import { defineJob } from './timing.js';

export const SLA_REALERT_JOB = 'sla-realert';

/** Re-alert limits per urgency (minutes) and how many re-alerts raise the urgency one level (`Config['sla']`). */
export interface SlaPolicy {
  minutes: Record<Urgency, number>;
  raiseUrgencyAfter: number;
}

/**
 * Sends re-alert number `realertNumber` (1, 2, …) for a conversation that is `waiting_human`. Must be
 * idempotent per (protocol, number): the app enqueues an outbox row keyed `realert:<protocol>:<n>`.
 */
export type RealertPort = (conversation: ConversationRecord, realertNumber: number) => Promise<void>;

export interface SlaRealertJobOptions {
  serviceStore: Pick<ServiceStore, 'listConversations' | 'getConversation'>;
  lifecycle: Pick<ConversationLifecycle, 'realerted'>;
  sla: SlaPolicy;
  realert: RealertPort;
  /**
   * Most waiting conversations read per pass (the store lists newest-updated first, so past this bound the
   * longest-waiting would be missed: the job warns when it is reached).
   * @default 5000
   */
  maxConversations?: number;
  /** @default every minute, lease 2 minutes */
  timing?: JobTiming;
}

/** Urgency when a handoff has none recorded (same default as the lifecycle's urgency raise). */
const DEFAULT_URGENCY: Urgency = 'medium';

/** When the conversation's next re-alert is due (epoch ms), or undefined when it is not waiting on a clock. */
export function nextRealertAt(conversation: ConversationRecord, sla: SlaPolicy): number | undefined {
  const since = conversation.lastAlertAt ?? conversation.waitingSince;
  if (conversation.handoffStatus !== 'waiting_human' || since === undefined) return undefined;
  return since + sla.minutes[conversation.urgency ?? DEFAULT_URGENCY] * 60_000;
}

export function slaRealertJob(options: SlaRealertJobOptions): JobDefinition {
  validatePolicy(options.sla);
  const maxConversations = options.maxConversations ?? 5000;

  const run: JobDefinition['run'] = async ({ now, signal, logger }) => {
    const waiting = await options.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: maxConversations });
    if (waiting.length >= maxConversations) {
      logger.warn({ maxConversations }, 'more conversations are waiting for a person than one SLA pass reads; the longest-waiting may be missed');
    }
    const summary = { waiting: waiting.length, realerted: 0, urgencyRaised: 0, failed: 0 };
    let firstFailure: unknown;
    for (const listed of waiting) {
      if (signal.aborted) break;
      // Behind Chatwoot, its agents and its own SLAs have the handoff: no WhatsApp re-alerts from here.
      if (listed.provider === 'chatwoot') continue;
      const due = nextRealertAt(listed, options.sla);
      if (due === undefined || now < due) continue;
      try {
        // Read again: an agent may have claimed it since the listing, and a claimed handoff needs no alert.
        const conversation = await options.serviceStore.getConversation(listed.conversationKey);
        const dueNow = conversation ? nextRealertAt(conversation, options.sla) : undefined;
        if (!conversation || dueNow === undefined || now < dueNow) continue;
        const realertNumber = conversation.realerts + 1;
        await options.realert(conversation, realertNumber);
        const after = await options.lifecycle.realerted(conversation.conversationKey, options.sla.raiseUrgencyAfter);
        summary.realerted++;
        if (after.urgency !== (conversation.urgency ?? DEFAULT_URGENCY)) summary.urgencyRaised++;
        logger.info({ protocolNumber: conversation.protocolNumber, realert: realertNumber, urgency: after.urgency }, 'SLA re-alert sent to the agents');
      } catch (error) {
        summary.failed++;
        firstFailure ??= error;
        logger.error({ err: error, protocolNumber: listed.protocolNumber }, 'SLA re-alert failed; retried on the next tick');
      }
    }
    if (summary.failed > 0) throw new CronJobPartialFailureError(SLA_REALERT_JOB, summary.failed, summary.realerted + summary.failed, { cause: firstFailure });
    return summary;
  };
  return defineJob(SLA_REALERT_JOB, { schedule: '* * * * *', leaseMs: 2 * 60_000 }, options.timing, run);
}

function validatePolicy(sla: SlaPolicy): void {
  const urgencies: Urgency[] = ['critical', 'high', 'medium', 'low'];
  for (const urgency of urgencies) {
    const minutes = sla.minutes[urgency];
    if (!(typeof minutes === 'number' && Number.isFinite(minutes) && minutes > 0)) {
      throw new CronJobConfigError(SLA_REALERT_JOB, `the limit for urgency "${urgency}" must be a positive number of minutes (got ${String(minutes)}); see SLA_${urgency.toUpperCase()}_MINUTES`);
    }
  }
  if (!Number.isInteger(sla.raiseUrgencyAfter) || sla.raiseUrgencyAfter < 1) {
    throw new CronJobConfigError(SLA_REALERT_JOB, `raiseUrgencyAfter must be an integer ≥ 1 (got ${String(sla.raiseUrgencyAfter)}); see SLA_RAISE_URGENCY_AFTER`);
  }
}
