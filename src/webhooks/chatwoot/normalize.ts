/**
 * Chatwoot agent-bot event → the batch every provider produces: customer messages become inbound messages
 * (conversation key `chatwoot:<account>:<conversation display id>`, deduplicated on the Chatwoot message id),
 * and every event that carries the conversation's status hands it on (`conversationStatuses`): in this mode
 * Chatwoot decides who answers, and the service follows it.
 *
 * Not customer messages, so never inbound: outgoing messages (agents, other bots, and our own replies, which
 * Chatwoot sends back to the bot), private notes, activity lines ("Conversation was marked resolved…") and
 * template messages. A person's outgoing message still says something: a person is answering.
 */
import { isRecord, parseAt, unixSecondsToMillis, emptyBatch, ignore } from '../batch.js';
import type { NormalizeContext } from '../batch.js';
import { conversationKeyOf } from '../conversation-key.js';
import { MalformedWebhookError } from '../errors.js';
import type { AcceptedBatch, ConversationStatus, TextOnlyReason } from '../types.js';
import {
  ChatwootConversationEventSchema, ChatwootEnvelopeSchema, ChatwootMessageEventSchema,
  type ChatwootConversationEvent, type ChatwootMessageEvent,
} from './schema.js';

const CONVERSATION_EVENTS = new Set([
  'conversation_created', 'conversation_opened', 'conversation_resolved', 'conversation_status_changed', 'conversation_updated',
]);
const MESSAGE_TYPES = ['incoming', 'outgoing', 'activity', 'template'] as const;

/** Attachment kinds that are not media: answered with the text-only notice under their own reason. */
const NOTICE_KINDS: Record<string, TextOnlyReason> = { location: 'location', contact: 'contacts' };

export function normalizeChatwootWebhook(body: unknown, context: NormalizeContext): AcceptedBatch {
  const batch: AcceptedBatch = { ...emptyBatch('chatwoot', context.receivedAt), conversationStatuses: [] };
  if (!isRecord(body)) throw new MalformedWebhookError('expected a JSON object (a Chatwoot event)');
  const { event } = parseAt(ChatwootEnvelopeSchema, body, 'body');
  if (event === 'message_created') readMessage(batch, parseAt(ChatwootMessageEventSchema, body, 'body'), context);
  else if (event === 'message_updated') ignore(batch, 'status', { detail: event }); // edits and delivery statuses of a message already seen
  else if (CONVERSATION_EVENTS.has(event)) readConversationEvent(batch, parseAt(ChatwootConversationEventSchema, body, 'body'), context);
  else ignore(batch, 'unknown_event', { detail: event.slice(0, 64) });
  return batch;
}

function messageTypeOf(value: ChatwootMessageEvent['message_type']): (typeof MESSAGE_TYPES)[number] | undefined {
  return typeof value === 'number' ? MESSAGE_TYPES[value] : value;
}

/** `created_at`: ISO 8601 in webhook_data, Unix seconds in push data; the receive time when unreadable. */
function timestampOf(value: string | number | undefined, fallback: number): number {
  if (typeof value === 'number') return unixSecondsToMillis(Math.floor(value), fallback);
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed) && parsed >= 0) return parsed;
    return unixSecondsToMillis(value, fallback);
  }
  return fallback;
}

/** The customer as the inbox keeps them: phone digits when Chatwoot has a number, else the contact id. */
function customerOf(sender: { id?: string | undefined; phone_number?: string | null | undefined } | null | undefined, conversationId: string): string {
  const digits = sender?.phone_number?.replace(/\D/g, '') ?? '';
  if (digits.length >= 8 && digits.length <= 15) return digits;
  return sender?.id !== undefined ? `contact-${sender.id}` : `conversation-${conversationId}`;
}

function readMessage(batch: AcceptedBatch, message: ChatwootMessageEvent, context: NormalizeContext): void {
  const account = message.account.id;
  const conversationId = message.conversation.id;
  const conversationKey = conversationKeyOf('chatwoot', account, conversationId);
  const messageId = message.id;
  const timestamp = timestampOf(message.created_at, context.receivedAt);
  const type = messageTypeOf(message.message_type);
  const senderType = message.sender?.type;
  const status = message.conversation.status;

  if (type === 'outgoing' && message.private !== true && senderType === 'user') {
    // A person wrote to the customer from Chatwoot: the conversation is theirs, whatever its status says.
    pushStatus(batch, { conversationKey, status: status === 'pending' || status === undefined ? 'open' : status, source: 'agent_message', event: 'message_created', timestamp });
    return ignore(batch, 'from_me', { messageId, conversationKey, detail: 'agent_message' });
  }
  if (type !== 'incoming') {
    const reason = type === 'outgoing' ? (message.private === true ? 'system' : 'from_me') : 'system';
    return ignore(batch, reason, { messageId, conversationKey, detail: message.private === true ? 'private_note' : (type ?? 'unknown_type') });
  }
  if (message.private === true) return ignore(batch, 'system', { messageId, conversationKey, detail: 'private_note' });
  if (status !== undefined) pushStatus(batch, { conversationKey, status, source: 'customer_message', event: 'message_created', timestamp });

  const from = customerOf(message.sender ?? message.conversation.meta?.sender, conversationId);
  const name = message.sender?.name ?? message.conversation.meta?.sender?.name;
  const base = { provider: 'chatwoot' as const, messageId, conversationKey, from, ...(name ? { name } : {}), timestamp, account };
  const text = message.content?.trim() ? message.content : undefined;
  const attachments = message.attachments ?? [];
  if (text !== undefined) {
    const kind = attachments[0]?.file_type;
    const media = kind && ['image', 'video', 'audio', 'file'].includes(kind)
      ? { media: { kind: kind === 'file' ? ('document' as const) : (kind as 'image' | 'video' | 'audio') } }
      : {};
    batch.messages.push({ ...base, text, ...media });
    return;
  }
  if (attachments.length > 0) {
    const kind = attachments[0]?.file_type ?? 'file';
    const because = NOTICE_KINDS[kind] ?? 'media_without_text';
    ignore(batch, because, { messageId, conversationKey, detail: kind.slice(0, 64) });
    batch.textOnlyNotices.push({ ...base, because });
    return;
  }
  ignore(batch, 'unsupported', { messageId, conversationKey, detail: 'empty_message' });
}

function readConversationEvent(batch: AcceptedBatch, payload: ChatwootConversationEvent, context: NormalizeContext): void {
  // The agent bot's conversation payloads carry no account object; the last message does (`account_id`).
  const account = payload.account?.id ?? payload.messages?.find((m) => m.account_id !== undefined)?.account_id;
  if (account === undefined) return ignore(batch, 'unknown_event', { detail: `${payload.event}:no_account`.slice(0, 64) });
  const conversationKey = conversationKeyOf('chatwoot', account, payload.id);
  if (payload.status === undefined) return ignore(batch, 'unknown_event', { conversationKey, detail: payload.event });
  pushStatus(batch, {
    conversationKey, status: payload.status, source: 'conversation_event', event: payload.event,
    timestamp: context.receivedAt,
  });
  // Counted like the other providers' non-message items: nothing in it is a customer message.
  ignore(batch, 'status', { conversationKey, detail: payload.event });
}

function pushStatus(batch: AcceptedBatch, status: Omit<ConversationStatus, 'provider'>): void {
  (batch.conversationStatuses ??= []).push({ provider: 'chatwoot', ...status });
}
