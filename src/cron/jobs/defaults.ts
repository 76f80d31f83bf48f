/**
 * The jobs a zapflow process schedules, with their default timing:
 *  - `sla-realert` every minute (limits are minutes, so a re-alert is at most a minute late);
 *  - `idle-release` every 5 minutes (idle times are hours);
 *  - `waiting-expiry` every 5 minutes (handoffs nobody took within HUMAN_WAIT_EXPIRE_HOURS go back to the bot);
 *  - `case-idle-close` every 10 minutes (idle times are hours);
 *  - `retention` daily at 03:30 America/Sao_Paulo (quiet hours for Brazilian customers).
 */
import type { ConversationLifecycle } from '../../service/lifecycle.js';
import type { ConversationRecord, ServiceStore } from '../../conversations/store/types.js';
import type { Storage } from '../../engine/index.js';
import type { JobDefinition, JobTiming } from '../types.js';
import type { CaseService } from '../../service/cases.js';
import { CASE_IDLE_CLOSE_JOB, caseIdleCloseJob } from './case-idle-close.js';
import { IDLE_RELEASE_JOB, idleReleaseJob } from './idle-release.js';
import { RETENTION_JOB, retentionJob } from './retention.js';
import { SLA_REALERT_JOB, slaRealertJob, type RealertPort, type SlaPolicy } from './sla-realert.js';
import { WAITING_EXPIRY_JOB, waitingExpiryJob } from './waiting-expiry.js';

export interface DefaultJobsDeps {
  storage: Pick<Storage, 'purge'>;
  serviceStore: Pick<ServiceStore, 'listConversations' | 'getConversation' | 'purge'> & Partial<Pick<ServiceStore, 'cases'>>;
  /** Must run on the same clock as the scheduler's `now`. */
  lifecycle: Pick<ConversationLifecycle, 'realerted' | 'releaseIdle' | 'expireWaiting'>;
  realert: RealertPort;
  /** `Config['sla']`. */
  sla: SlaPolicy;
  /** `Config['retentionDays']`. */
  retentionDays: number;
  /** `Config['dispatch']['humanIdleReleaseMinutes']`. */
  idleReleaseMinutes: number;
  /** `Config['dispatch']['humanWaitExpireHours']`. @default 24 */
  waitingExpireHours?: number;
  /** Tells the customer when an idle conversation goes back to the bot. */
  onIdleReleased?: (before: ConversationRecord) => Promise<void>;
  /** Cases, for the idle close; without them the job is not scheduled. */
  cases?: Pick<CaseService, 'closeIdle'>;
  /** `Config['cases']['idleCloseHours']`. @default 24 */
  caseIdleCloseHours?: number;
  /** Per-job timing overrides, by job name. */
  timing?: Partial<Record<typeof SLA_REALERT_JOB | typeof IDLE_RELEASE_JOB | typeof WAITING_EXPIRY_JOB | typeof RETENTION_JOB | typeof CASE_IDLE_CLOSE_JOB, JobTiming>>;
}

export function createDefaultJobs(deps: DefaultJobsDeps): JobDefinition[] {
  return [
    slaRealertJob({ serviceStore: deps.serviceStore, lifecycle: deps.lifecycle, sla: deps.sla, realert: deps.realert, timing: deps.timing?.[SLA_REALERT_JOB] }),
    idleReleaseJob({
      lifecycle: deps.lifecycle, idleMinutes: deps.idleReleaseMinutes, timing: deps.timing?.[IDLE_RELEASE_JOB],
      ...(deps.onIdleReleased ? { onReleased: deps.onIdleReleased } : {}),
    }),
    waitingExpiryJob({ lifecycle: deps.lifecycle, expireHours: deps.waitingExpireHours ?? 24, timing: deps.timing?.[WAITING_EXPIRY_JOB] }),
    retentionJob({ storage: deps.storage, serviceStore: deps.serviceStore, retentionDays: deps.retentionDays, timing: deps.timing?.[RETENTION_JOB] }),
    ...(deps.cases ? [caseIdleCloseJob({ cases: deps.cases, idleHours: deps.caseIdleCloseHours ?? 24, timing: deps.timing?.[CASE_IDLE_CLOSE_JOB] })] : []),
  ];
}
