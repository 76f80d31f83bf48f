/** Shared by the built-in jobs: their default timing, with what the deployment overrides laid on top. */
import type { JobDefinition, JobTiming } from '../types.js';

export function defineJob(name: string, defaults: Required<Pick<JobDefinition, 'schedule' | 'leaseMs'>> & JobTiming, timing: JobTiming | undefined, run: JobDefinition['run']): JobDefinition {
  const overrides = Object.fromEntries(Object.entries(timing ?? {}).filter(([, value]) => value !== undefined)) as JobTiming;
  return { name, ...defaults, ...overrides, run };
}
