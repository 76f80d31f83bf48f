/**
 * conversation-typification's session state: the conversation's state (../session-state.ts) plus this run's
 * scratch under `typificationRun`, keyed by the ROOT run id: a rerun reuses the original's early steps (and
 * their state changes), so it must find the scratch those steps wrote.
 */
import { z } from 'zod';
import type { StepInput } from '../../engine/index.js';
import { conversationStateSchema, typificationPathIdsSchema } from '../session-state.js';

const levelChoice = z.looseObject({ id: z.string(), confidence: z.number() });

export const CONFIDENCE_ROUTES = ['high', 'medium', 'low'] as const;
export type ConfidenceRoute = (typeof CONFIDENCE_ROUTES)[number];

/** Why this run could not produce a trustworthy path (then a human takes over). */
export const CLASSIFICATION_FAILURES = ['model_failure', 'invalid_classification'] as const;
export type ClassificationFailure = (typeof CLASSIFICATION_FAILURES)[number];

export const typificationRunStateSchema = z.looseObject({
  runId: z.string(),
  levels: z.looseObject({ businessUnit: levelChoice.optional(), product: levelChoice.optional(), motive: levelChoice.optional(), submotive: levelChoice.optional() }),
  route: z.enum(CONFIDENCE_ROUTES).optional(),
  validatedPath: typificationPathIdsSchema.optional(),
  validationNote: z.string().optional(),
  failure: z.enum(CLASSIFICATION_FAILURES).optional(),
  /** The conversation's contact counter was incremented for this run (once, whatever the retries). */
  contactCounted: z.boolean().optional(),
});
export type TypificationRunState = z.infer<typeof typificationRunStateSchema>;

export const typificationStateSchema = conversationStateSchema.extend({
  typificationRun: typificationRunStateSchema.optional(),
});
export type TypificationState = z.infer<typeof typificationStateSchema>;

export type TypificationInput = StepInput<TypificationState>;

/** This run's scratch (created on first use, replaced when it belongs to another run). */
export function runState(input: TypificationInput): TypificationRunState {
  const state = input.workflowSessionState;
  if (state.typificationRun?.runId !== input.rootRunId) state.typificationRun = { runId: input.rootRunId, levels: {} };
  return state.typificationRun;
}
