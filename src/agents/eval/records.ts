/**
 * One conversation in, one output record out — the line format of `zapflow classify` and what `zapflow
 * eval` scores. It runs the same calls the workflows make (classifyConversation, analyzeEscalation).
 */
import type { Taxonomy } from '../../taxonomy/index.js';
import { analyzeEscalation, classifyConversation } from '../classification.js';
import type { Emotion, EscalationReason, Urgency } from '../embedded/dataset.js';
import type { ConversationMessage, Model } from '../model.js';

export interface ClassificationRecord {
  id?: string;
  businessUnit: string;
  product: string;
  motive: string;
  submotive: string;
  confidence: number;
  escalation: { shouldEscalate: boolean; reason: EscalationReason | null; urgency: Urgency; emotion: Emotion };
}

/** A line that could not be classified: its id when it had one, and why. */
export interface ErrorRecord {
  id?: string;
  error: string;
}

export type OutputRecord = ClassificationRecord | ErrorRecord;

export function isErrorRecord(record: OutputRecord): record is ErrorRecord {
  return 'error' in record;
}

export async function classifyToRecord(
  model: Model,
  taxonomy: Taxonomy,
  conversation: { id?: string; messages: readonly ConversationMessage[] },
  signal?: AbortSignal,
): Promise<ClassificationRecord> {
  const typification = await classifyConversation(model, taxonomy, conversation.messages, { signal });
  const escalation = await analyzeEscalation(model, conversation.messages, { signal });
  const [businessUnit, product, motive, submotive] = typification.path;
  return {
    ...(conversation.id !== undefined ? { id: conversation.id } : {}),
    businessUnit,
    product,
    motive,
    submotive,
    confidence: Math.round(typification.confidence * 1e4) / 1e4,
    escalation: {
      shouldEscalate: escalation.shouldEscalate,
      reason: escalation.reason,
      urgency: escalation.urgency,
      emotion: escalation.emotion,
    },
  };
}
