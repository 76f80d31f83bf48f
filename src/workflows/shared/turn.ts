/**
 * The input of a workflow run: the conversation the service knows (recent customer and bot messages, oldest
 * first) or, from the admin API and the CLI, a bare text. Plus who the customer is, in `additionalData`.
 */
import { z } from 'zod';
import type { ConversationMessage } from '../../agents/model.js';
import type { StepInput } from '../../engine/index.js';
import { InvalidTurnError } from '../errors.js';
export { InvalidTurnError };

export const turnMessageSchema = z.union([
  z.string().min(1),
  z.object({
    messages: z.array(z.object({ role: z.enum(['customer', 'bot', 'agent']), text: z.string() })).min(1),
  }),
]);
export type TurnMessage = z.infer<typeof turnMessageSchema>;

/** Known to the service (from the webhook), passed as the run's `additionalData`. */
export interface TurnContext {
  conversationKey?: string;
  customerName?: string;
  customerPhone?: string;
  /** The protocol of the conversation's open case (or given earlier in this turn): the runs reuse it. */
  protocolNumber?: string;
  /** Which handoff of the case this would be (keys its alert and acknowledgement); default the protocol. */
  handoffRef?: string;
}

/**
 * A run's message as checked by the first step that read it: every step of a turn reads the same input
 * object, and parsing it again per step was most of the workflows' own CPU. Frozen, since steps share it.
 */
const checkedMessages = new WeakMap<object, readonly ConversationMessage[]>();

export function conversationOf(input: StepInput): readonly ConversationMessage[] {
  const message = input.message;
  const known = typeof message === 'object' && message !== null ? checkedMessages.get(message) : undefined;
  if (known) return known;
  const parsed = turnMessageSchema.safeParse(message);
  if (!parsed.success) throw new InvalidTurnError(parsed.error.issues.map((i) => i.message).join('; '));
  const conversation = typeof parsed.data === 'string' ? [{ role: 'customer' as const, text: parsed.data }] : parsed.data.messages;
  for (const entry of conversation) Object.freeze(entry);
  Object.freeze(conversation);
  if (typeof message === 'object' && message !== null) checkedMessages.set(message, conversation);
  return conversation;
}

export function customerTexts(conversation: readonly ConversationMessage[]): string[] {
  return conversation.filter((m) => m.role === 'customer').map((m) => m.text);
}

export function turnContext(input: StepInput): TurnContext {
  const data = input.additionalData as Record<string, unknown>;
  const str = (key: string) => (typeof data[key] === 'string' && data[key] !== '' ? (data[key] as string) : undefined);
  const context: TurnContext = {};
  const conversationKey = str('conversationKey') ?? input.sessionId;
  if (conversationKey) context.conversationKey = conversationKey;
  const customerName = str('customerName');
  if (customerName) context.customerName = customerName;
  const customerPhone = str('customerPhone');
  if (customerPhone) context.customerPhone = customerPhone;
  const protocolNumber = str('protocolNumber');
  if (protocolNumber) context.protocolNumber = protocolNumber;
  const handoffRef = str('handoffRef');
  if (handoffRef) context.handoffRef = handoffRef;
  return context;
}

