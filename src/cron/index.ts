/** Scheduled jobs: a lease-guarded node-cron scheduler and zapflow's jobs (SLA re-alerts, idle release, retention). */
export { createScheduler } from './scheduler.js';
export type { Scheduler, SchedulerOptions } from './scheduler.js';
export type { LeaseStorage } from './guarded-job.js';
export type { JobContext, JobDefinition, JobOutcome, JobRunReport, JobSkipReason, JobStatus, JobSummary, JobTiming } from './types.js';
export { CronError, CronJobConfigError, CronJobPartialFailureError, CronLeaseLostError, SchedulerConfigError, UnknownCronJobError } from './errors.js';
export { SLA_REALERT_JOB, nextRealertAt, slaRealertJob } from './jobs/sla-realert.js';
export type { RealertPort, SlaPolicy, SlaRealertJobOptions } from './jobs/sla-realert.js';
export { RETENTION_JOB, retentionJob } from './jobs/retention.js';
export type { RetentionJobOptions } from './jobs/retention.js';
export { IDLE_RELEASE_JOB, idleReleaseJob } from './jobs/idle-release.js';
export { WAITING_EXPIRY_JOB, waitingExpiryJob } from './jobs/waiting-expiry.js';
export type { WaitingExpiryJobOptions } from './jobs/waiting-expiry.js';
export type { IdleReleaseJobOptions } from './jobs/idle-release.js';
export { createDefaultJobs } from './jobs/defaults.js';
export type { DefaultJobsDeps } from './jobs/defaults.js';
export { CASE_IDLE_CLOSE_JOB, caseIdleCloseJob } from './jobs/case-idle-close.js';
export type { CaseIdleCloseJobOptions } from './jobs/case-idle-close.js';
