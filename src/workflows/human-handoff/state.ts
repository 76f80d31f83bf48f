/**
 * human-handoff's session state: the conversation's state (../session-state.ts) plus this run's scratch under
 * `handoffRun`, keyed by the root run like typification's (a rerun finds what its reused steps wrote). It also
 * reads typification's scratch of the same turn (`typificationRun.failure`) when it runs nested in it.
 */
import { z } from 'zod';
import type { StepInput } from '../../engine/index.js';
import { conversationStateSchema } from '../session-state.js';
import { CLASSIFICATION_FAILURES } from '../conversation-typification/state.js';

/** Why a handoff happened when the model did not (or could not) say so itself. */
export const FORCED_REASONS = ['model_failure', 'low_confidence', 'invalid_classification'] as const;
export type ForcedReason = (typeof FORCED_REASONS)[number];

export const handoffDecisionSchema = z.looseObject({
  escalate: z.boolean(),
  reason: z.string().nullable(),
  urgency: z.enum(['low', 'medium', 'high', 'critical']),
  emotion: z.string(),
  summary: z.string(),
  /** Set when the decision was not the model's (its answer failed, or typification could not decide twice). */
  forced: z.enum(FORCED_REASONS).optional(),
});
export type HandoffDecision = z.infer<typeof handoffDecisionSchema>;

export const customerInfoSchema = z.looseObject({
  name: z.string().optional(),
  /** Masked, e.g. 55119****0001. */
  phone: z.string().optional(),
  /** Masked CPF/CNPJ: only the last digits are shown. */
  documents: z.array(z.string()),
  /** Masked e-mail addresses the customer mentioned. */
  emails: z.array(z.string()),
  /** Hints like "conta final 4321", "cartão final 1234". */
  accountHints: z.array(z.string()),
});
export type CustomerInfo = z.infer<typeof customerInfoSchema>;

export const issueDetailsSchema = z.looseObject({
  title: z.string(),
  description: z.string(),
  typificationPath: z.string().nullable(),
  earlierContacts: z.number(),
});
export type IssueDetails = z.infer<typeof issueDetailsSchema>;

export const handoffRunStateSchema = z.looseObject({
  runId: z.string(),
  decision: handoffDecisionSchema.optional(),
  customer: customerInfoSchema.optional(),
  issue: issueDetailsSchema.optional(),
});
export type HandoffRunState = z.infer<typeof handoffRunStateSchema>;

export const handoffStateSchema = conversationStateSchema.extend({
  handoffRun: handoffRunStateSchema.optional(),
  /** Typification's scratch of this turn, read for its failure (the handoff is then forced). */
  typificationRun: z.looseObject({ runId: z.string(), failure: z.enum(CLASSIFICATION_FAILURES).optional() }).optional(),
});
export type HandoffState = z.infer<typeof handoffStateSchema>;

export type HandoffInput = StepInput<HandoffState>;

export function runState(input: HandoffInput): HandoffRunState {
  const state = input.workflowSessionState;
  if (state.handoffRun?.runId !== input.rootRunId) state.handoffRun = { runId: input.rootRunId };
  return state.handoffRun;
}
