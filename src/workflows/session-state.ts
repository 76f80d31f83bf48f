/**
 * What the workflows keep in a conversation's session state (sessionId = conversation key), across messages.
 * One typed view over the engine's free-form `workflowSessionState`, shared by the workflows (writers) and
 * the admin API (reader), so a key is never spelled two ways.
 */
import type { Urgency } from '../service/ports.js';

export interface TypificationPathIds {
  businessUnit: string;
  product: string;
  motive: string;
  submotive: string;
}

export interface TypificationRecord {
  path: TypificationPathIds;
  /** Confidence of the whole path (product of levels, or the validator's). */
  confidence: number;
  levelConfidences: { businessUnit: number; product: number; motive: number; submotive: number };
  /** Which branch of the confidence Router ran. */
  route: 'high' | 'medium' | 'low';
  protocolNumber?: string;
  runId: string;
  at: number;
}

export type EscalationReason =
  | 'explicit_request' | 'frustration_detected' | 'complex_issue' | 'high_value' | 'security_concern'
  | 'multiple_attempts' | 'system_limitation';

export type Emotion = 'neutral' | 'satisfied' | 'confused' | 'frustrated' | 'angry' | 'urgent';

export interface EscalationRecord {
  shouldEscalate: boolean;
  reason: EscalationReason | null;
  urgency: Urgency;
  emotion: Emotion;
  summary: string;
  runId: string;
  at: number;
}

export interface HandoffRecord {
  status: 'waiting_human' | 'human' | 'closed';
  protocolNumber: string;
  reason: string;
  urgency: Urgency;
  runId: string;
  createdAt: number;
}

/** The conversation's state as the workflows keep it. Every field is optional: a new conversation has none. */
export interface ConversationSessionState {
  /** Latest typification and the earlier ones (newest last, bounded). */
  typification?: TypificationRecord;
  typificationHistory?: TypificationRecord[];
  /** Latest escalation analysis and the earlier ones (newest last, bounded). */
  escalation?: EscalationRecord;
  escalationHistory?: EscalationRecord[];
  /** The open (or last) handoff. */
  handoff?: HandoffRecord;
  /** How many times the customer came to us (one per processed batch of messages). */
  contacts?: number;
  /** Every protocol number given in this conversation, oldest first. */
  protocolNumbers?: string[];
  /** Level choices of the run in progress (written by each classification step, read by the next). */
  classification?: Partial<Record<keyof TypificationPathIds, { id: string; confidence: number }>>;
}

/** History lists keep the last N entries: enough context for agents, bounded for storage. */
export const HISTORY_LIMIT = 20;

export function appendBounded<T>(list: T[] | undefined, item: T, limit = HISTORY_LIMIT): T[] {
  return [...(list ?? []), item].slice(-limit);
}

export function readConversationState(state: Record<string, unknown> | undefined): ConversationSessionState {
  return (state ?? {}) as ConversationSessionState;
}
