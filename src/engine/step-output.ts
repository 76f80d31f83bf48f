/**
 * What a step produces (the guide's `StepOutput`). A step may return one, or any value (it becomes `content`).
 * Stored as JSON in the step's record, so a resumed run gets the same output back without executing the step.
 */
import type { SerializedError } from './storage/types.js';

export interface StepOutputInit {
  content?: unknown;
  media?: unknown[];
  /** Ends the workflow after this step, with status `completed` and this step's content. */
  stop?: boolean;
  /** `false` reports a failure without throwing: the step is retried / fails like a thrown error. @default true */
  success?: boolean;
  error?: SerializedError;
  metrics?: Record<string, unknown>;
  stepName?: string;
  stepType?: string;
  /** Outputs of a composite's children (Parallel branches, Loop iterations, a Router's route, Steps). */
  steps?: StepOutput[];
}

export class StepOutput {
  content: unknown;
  media?: unknown[];
  stop?: boolean;
  success: boolean;
  error?: SerializedError;
  metrics?: Record<string, unknown>;
  stepName?: string;
  stepType?: string;
  steps?: StepOutput[];

  constructor(init: StepOutputInit = {}) {
    this.content = init.content;
    this.success = init.success ?? true;
    // Optional fields are only set when present: the object is stored as JSON and stays small.
    if (init.media !== undefined) this.media = init.media;
    if (init.stop !== undefined) this.stop = init.stop;
    if (init.error !== undefined) this.error = init.error;
    if (init.metrics !== undefined) this.metrics = init.metrics;
    if (init.stepName !== undefined) this.stepName = init.stepName;
    if (init.stepType !== undefined) this.stepType = init.stepType;
    if (init.steps !== undefined) this.steps = init.steps;
  }

  /** Rebuilds an output (and its children) from its stored JSON form. */
  static fromJSON(value: unknown): StepOutput {
    if (value === null || typeof value !== 'object') return new StepOutput({ content: value });
    const init = value as StepOutputInit & { steps?: unknown[] };
    const steps = Array.isArray(init.steps) ? init.steps.map((child) => StepOutput.fromJSON(child)) : undefined;
    return new StepOutput({ ...init, steps });
  }
}
