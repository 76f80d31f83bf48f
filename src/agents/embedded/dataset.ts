/**
 * The labeled-conversation format of data/datasets/*.jsonl (see its README, the labeling guide), parsed
 * line by line with zod so one bad line is reported with its number instead of failing the whole file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { TrainingDataError } from './errors.js';

export const conversationMessageSchema = z.object({
  role: z.enum(['customer', 'bot', 'agent']),
  text: z.string(),
});

export const escalationReasons = [
  'security_concern',
  'explicit_request',
  'high_value',
  'multiple_attempts',
  'frustration_detected',
  'complex_issue',
  'system_limitation',
] as const;
export const urgencies = ['low', 'medium', 'high', 'critical'] as const;
export const emotions = ['neutral', 'satisfied', 'confused', 'frustrated', 'angry', 'urgent'] as const;

export type EscalationReason = (typeof escalationReasons)[number];
export type Urgency = (typeof urgencies)[number];
export type Emotion = (typeof emotions)[number];

export const unlabeledConversationSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String).optional(),
  messages: z.array(conversationMessageSchema).min(1, 'a conversation needs at least one message'),
});

export const labeledConversationSchema = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  messages: z.array(conversationMessageSchema).min(1),
  label: z.object({ businessUnit: z.string(), product: z.string(), motive: z.string(), submotive: z.string() }),
  escalation: z.object({
    shouldEscalate: z.boolean(),
    reason: z.enum(escalationReasons).nullable(),
    urgency: z.enum(urgencies),
    emotion: z.enum(emotions),
  }),
});

export type UnlabeledConversation = z.infer<typeof unlabeledConversationSchema>;
export type LabeledConversation = z.infer<typeof labeledConversationSchema>;

/** Parses labeled JSONL text; throws TrainingDataError on the first bad line, naming it. */
export function parseLabeledConversations(text: string, source: string): LabeledConversation[] {
  const out: LabeledConversation[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new TrainingDataError(`${source}:${index + 1} is not JSON; fix or remove that line.`, { cause: error });
    }
    const parsed = labeledConversationSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new TrainingDataError(
        `${source}:${index + 1} is not a labeled conversation (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); see data/datasets/README.md for the format.`,
        { cause: parsed.error },
      );
    }
    out.push(parsed.data);
  });
  return out;
}

/** Reads a labeled JSONL file (training data must be clean: the first bad line stops it). */
export function readLabeledConversations(file: string): LabeledConversation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TrainingDataError(`Cannot read the labeled set ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseLabeledConversations(text, file);
}
