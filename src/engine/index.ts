export * from './errors.js';
export type * from './storage/types.js';
export { MemoryStorage } from './storage/memory.js';
export { SqliteStorage } from './storage/sqlite.js';
export type { SqliteStorageOptions } from './storage/sqlite.js';
export { PostgresStorage } from './storage/postgres.js';
export type { PostgresStorageOptions } from './storage/postgres.js';
// --- workflow API (engine core) ---
export { Workflow } from './workflow.js';
export type { WorkflowOptions, RunHandle, StreamOptions } from './workflow.js';
export { Step } from './step.js';
export type { StepOptions, StepType } from './step.js';
export { Steps } from './steps.js';
export type { StepsOptions } from './steps.js';
export { Parallel } from './parallel.js';
export type { ParallelOptions } from './parallel.js';
export { Condition } from './condition.js';
export type { ConditionOptions, ConditionEvaluator } from './condition.js';
export { Loop } from './loop.js';
export type { LoopOptions } from './loop.js';
export { Router } from './router.js';
export type { RouterOptions, RouterEvaluator } from './router.js';
export { StepOutput } from './step-output.js';
export type { StepOutputInit } from './step-output.js';
export { StepNode } from './definition.js';
export type { StepKind } from './definition.js';
export type { StepLike } from './normalize.js';
export { PauseRun } from './pause.js';
export { Engine } from './engine.js';
export type { EngineOptions, RecoveryReport, RecoveredRun } from './engine.js';
export { systemClock } from './clock.js';
export { timeOrderedId } from './ids.js';
export { stepRef } from './step-ref.js';
export { EVENT_TYPES } from './events.js';
export type { WorkflowEvent, WorkflowEventMap, WorkflowEventOf, WorkflowEventType } from './events.js';
export type { WorkflowStream } from './runner/event-stream.js';
export type { PurgeRequest } from './run-options.js';
export type {
  Clock, Durability, RetryBackoff, RunMetrics, RunOptions, RunResult, SessionState, SessionStateSchema, StepAgent, StepExecutor,
  StepInput, StepOutbox, StepRef, StepTeam, WorkflowHistoryEntry, WorkflowHistoryOption,
} from './types.js';
