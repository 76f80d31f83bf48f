import type { StepRef } from './types.js';

/** Names a step once, with the type of its content: `input.getStepContent(ref)` is then typed. */
export function stepRef<Content>(stepName: string): StepRef<Content> {
  return { stepName };
}
