/**
 * What the workflows keep in a conversation's session state (sessionId = conversation key), across messages,
 * declared once as zod schemas. The workflows give their schema to the engine (`sessionStateSchema`), which
 * checks the state where a run loads it, so a step reads `input.workflowSessionState` as the type declared
 * here, without a cast; the admin API and the console read the same view (`readConversationState`), so a key is
 * never spelled two ways.
 *
 * Objects are loose (`z.looseObject`): a key this version does not know — written by a newer version during a
 * rolling deploy, or a scratch key being retired — is kept, never stripped from the stored state.
 */
import { z } from 'zod';

const urgencySchema = z.enum(['low', 'medium', 'high', 'critical']);
const confidenceChoice = z.looseObject({ id: z.string(), confidence: z.number() });

// A path is exactly its four levels (readers list them with Object.values): no other keys are kept.
export const typificationPathIdsSchema = z.object({
  businessUnit: z.string(),
  product: z.string(),
  motive: z.string(),
  submotive: z.string(),
});
export type TypificationPathIds = z.infer<typeof typificationPathIdsSchema>;

export const typificationRecordSchema = z.looseObject({
  path: typificationPathIdsSchema,
  /** Confidence of the whole path (product of levels, or the validator's). */
  confidence: z.number(),
  levelConfidences: z.looseObject({ businessUnit: z.number(), product: z.number(), motive: z.number(), submotive: z.number() }),
  /** Which branch of the confidence Router ran. */
  route: z.enum(['high', 'medium', 'low']),
  protocolNumber: z.string().optional(),
  runId: z.string(),
  at: z.number(),
});
export type TypificationRecord = z.infer<typeof typificationRecordSchema>;

export const ESCALATION_REASONS = [
  'explicit_request', 'frustration_detected', 'complex_issue', 'high_value', 'security_concern', 'multiple_attempts', 'system_limitation',
] as const;
export type EscalationReason = (typeof ESCALATION_REASONS)[number];

export const EMOTIONS = ['neutral', 'satisfied', 'confused', 'frustrated', 'angry', 'urgent'] as const;
export type Emotion = (typeof EMOTIONS)[number];

export const escalationRecordSchema = z.looseObject({
  shouldEscalate: z.boolean(),
  reason: z.enum(ESCALATION_REASONS).nullable(),
  urgency: urgencySchema,
  emotion: z.enum(EMOTIONS),
  summary: z.string(),
  runId: z.string(),
  at: z.number(),
});
export type EscalationRecord = z.infer<typeof escalationRecordSchema>;

export const handoffRecordSchema = z.looseObject({
  status: z.enum(['waiting_human', 'human', 'closed']),
  protocolNumber: z.string(),
  reason: z.string(),
  urgency: urgencySchema,
  runId: z.string(),
  createdAt: z.number(),
});
export type HandoffRecord = z.infer<typeof handoffRecordSchema>;

/** The conversation's state as both workflows keep it. Every field is optional: a new conversation has none. */
export const conversationStateSchema = z.looseObject({
  /** Latest typification (the earlier ones are on the conversation's cases: ServiceStore.cases.typificationsOf). */
  typification: typificationRecordSchema.optional(),
  /** Written before 2026-12-07 (up to 20 entries); dropped at the conversation's next typification. */
  typificationHistory: z.array(typificationRecordSchema).optional(),
  /** Latest escalation analysis. */
  escalation: escalationRecordSchema.optional(),
  /** Written before 2026-12-07 (up to 20 entries); dropped at the conversation's next escalation analysis. */
  escalationHistory: z.array(escalationRecordSchema).optional(),
  /** The open (or last) handoff. */
  handoff: handoffRecordSchema.optional(),
  /** How many times the customer came to us (one per processed batch of messages). */
  contacts: z.number().optional(),
  /** Every protocol number given in this conversation, oldest first. */
  protocolNumbers: z.array(z.string()).optional(),
  /** Level choices of the run in progress (written by each classification step, read by the next). */
  classification: z.looseObject({
    businessUnit: confidenceChoice.optional(), product: confidenceChoice.optional(), motive: confidenceChoice.optional(), submotive: confidenceChoice.optional(),
  }).optional(),
  /** Consecutive turns typified with low confidence (the handoff escalates on the second). */
  lowConfidenceStreak: z.number().optional(),
});
export type ConversationSessionState = z.infer<typeof conversationStateSchema>;

/**
 * The typification a run recorded in the conversation's state (as the latest, or in the history a state written
 * before 2026-12-07 may still hold), checked alone: a turn needs only its own record, not the whole state parsed.
 */
export function typificationOfRun(state: Record<string, unknown> | undefined, runId: string): TypificationRecord | undefined {
  const history: unknown[] = Array.isArray(state?.typificationHistory) ? state.typificationHistory : [];
  for (const entry of [...history, state?.typification]) {
    if (typeof entry !== 'object' || entry === null || (entry as { runId?: unknown }).runId !== runId) continue;
    const parsed = typificationRecordSchema.safeParse(entry);
    if (parsed.success) return parsed.data;
  }
  return undefined;
}

/**
 * The conversation's state for readers (admin API, console, re-alerts). A state that does not match the
 * schema (written by hand, or by a future version with another shape) reads as the fields that do: each
 * top-level field is checked on its own, so one odd field never hides the rest.
 */
export function readConversationState(state: Record<string, unknown> | undefined): ConversationSessionState {
  const whole = conversationStateSchema.safeParse(state ?? {});
  if (whole.success) return whole.data;
  const fields: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(conversationStateSchema.shape)) {
    const parsed = field.safeParse(state?.[key]);
    if (parsed.success && parsed.data !== undefined) fields[key] = parsed.data;
  }
  return conversationStateSchema.parse(fields);
}
