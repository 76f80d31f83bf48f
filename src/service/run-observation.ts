/**
 * A finished run as the metrics record it: computed where the run ran (the processing thread or a worker),
 * recorded where /metrics is served.
 */
import type { RunResult } from '../engine/index.js';

export interface RunObservation {
  workflow: string;
  status: string;
  steps: Array<{ step: string; seconds: number }>;
}

/**
 * Step paths carry loop iteration numbers (`research_loop/#2/deep_research`); as a label each iteration
 * would be a new time series, so the number is dropped.
 */
export function stepLabel(stepPath: string): string {
  return stepPath.replace(/\/#\d+(?=\/|$)/g, '/#');
}

/** Step durations of a finished run, from its StepStarted/StepCompleted events. */
export function observationOf(workflowName: string, result: RunResult): RunObservation {
  const started = new Map<string, number>();
  const steps: RunObservation['steps'] = [];
  for (const event of result.events) {
    if (event.type === 'StepStarted' && event.stepPath) started.set(event.stepPath, event.time);
    const at = event.stepPath === undefined ? undefined : started.get(event.stepPath);
    if (event.type === 'StepCompleted' && event.stepPath && at !== undefined) {
      steps.push({ step: stepLabel(event.stepPath), seconds: (event.time - at) / 1000 });
    }
  }
  return { workflow: workflowName, status: result.status, steps };
}
