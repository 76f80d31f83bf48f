/**
 * Run events, with Agno's names so readers of the guide recognise them. A typed map: the `data` of each
 * event type is known at compile time (`WorkflowEventOf<'StepCompleted'>['data'].content`).
 */
import type { SerializedError } from './storage/types.js';

export interface WorkflowEventMap {
  WorkflowStarted: { workflowName: string; sessionId: string; resumed: boolean; parentRunId?: string };
  WorkflowCompleted: { content: unknown; stoppedEarly: boolean };
  WorkflowPaused: { stepPath: string; reason: string; resumeKey: string };
  WorkflowCancelled: { reason: string };
  WorkflowError: { error: SerializedError };

  StepStarted: { stepType: string };
  /** `reused`: the recorded result of an earlier execution was used (resume or rerun), the step did not run. */
  StepCompleted: { content: unknown; attempts: number; reused: boolean };
  StepRetry: { attempt: number; delayMs: number; error: SerializedError };
  /** `skipped`: the step has `skipOnFailure`, so the run goes on. */
  StepError: { error: SerializedError; attempts: number; skipped: boolean };

  StepsExecutionStarted: { stepCount: number };
  StepsExecutionCompleted: { stepCount: number };

  ParallelExecutionStarted: { branches: string[] };
  ParallelExecutionCompleted: { branches: string[] };
  /** Two or more branches changed the same session-state key; the last in declared order won. */
  ParallelStateConflict: { key: string; branches: string[]; winner: string };

  ConditionExecutionStarted: Record<string, never>;
  ConditionExecutionCompleted: { result: boolean };

  LoopExecutionStarted: { maxIterations: number };
  LoopIterationStarted: { iteration: number };
  LoopIterationCompleted: { iteration: number; exit: boolean };
  LoopExecutionCompleted: { iterations: number };

  RouterExecutionStarted: Record<string, never>;
  RouterExecutionCompleted: { route: string };
}

export type WorkflowEventType = keyof WorkflowEventMap;

/** One event of a run. `seq` orders the run's events (also across a crash and resume). */
export type WorkflowEventOf<K extends WorkflowEventType> = {
  type: K;
  runId: string;
  seq: number;
  /** Absent for workflow-level events. */
  stepPath?: string;
  stepName?: string;
  /** Epoch ms from the engine's clock. */
  time: number;
  data: WorkflowEventMap[K];
};

export type WorkflowEvent = { [K in WorkflowEventType]: WorkflowEventOf<K> }[WorkflowEventType];

const WORKFLOW_LEVEL: ReadonlySet<string> = new Set(['WorkflowStarted', 'WorkflowCompleted', 'WorkflowPaused', 'WorkflowCancelled', 'WorkflowError']);

/** True for the run-level events that `stream()` yields even without `streamIntermediateSteps`. */
export function isWorkflowLevelEvent(event: WorkflowEvent): boolean {
  return WORKFLOW_LEVEL.has(event.type);
}

export const EVENT_TYPES: readonly WorkflowEventType[] = [
  'WorkflowStarted', 'WorkflowCompleted', 'WorkflowPaused', 'WorkflowCancelled', 'WorkflowError',
  'StepStarted', 'StepCompleted', 'StepRetry', 'StepError',
  'StepsExecutionStarted', 'StepsExecutionCompleted',
  'ParallelExecutionStarted', 'ParallelExecutionCompleted', 'ParallelStateConflict',
  'ConditionExecutionStarted', 'ConditionExecutionCompleted',
  'LoopExecutionStarted', 'LoopIterationStarted', 'LoopIterationCompleted', 'LoopExecutionCompleted',
  'RouterExecutionStarted', 'RouterExecutionCompleted',
];
