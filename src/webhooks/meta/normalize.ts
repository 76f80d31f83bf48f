/**
 * Meta WhatsApp Cloud API delivery → AcceptedBatch. One POST can hold many entries, each with many
 * changes, each with many messages and statuses: all of them are read.
 *
 * What becomes what:
 * - text, media captions, interactive button/list replies, template quick replies → inbound messages;
 * - media without caption, location, contacts, unsupported and unknown types → text-only notices;
 * - reactions, system messages, group messages → ignored (reactions/groups configurable);
 * - statuses → status updates; other webhook fields and other Meta products → ignored (200, else Meta
 *   retries them for days).
 */
import { conversationKeyOf } from '../conversation-key.js';
import { type NormalizeContext, detailOf, emptyBatch, ignore, isRecord, parseAt, unixSecondsToMillis } from '../batch.js';
import { MalformedWebhookError } from '../errors.js';
import type { AcceptedBatch, DeliveryStatus, Media, TextOnlyReason } from '../types.js';
import {
  type MetaContact,
  type MetaMedia,
  type MetaMessage,
  MetaContactSchema,
  MetaEntrySchema,
  MetaEnvelopeSchema,
  MetaMessageSchema,
  MetaMessagesValueSchema,
  MetaStatusSchema,
} from './schema.js';

const WHATSAPP_OBJECT = 'whatsapp_business_account';

export function normalizeMetaWebhook(body: unknown, context: NormalizeContext): AcceptedBatch {
  const batch = emptyBatch('meta', context.receivedAt);
  if (!isRecord(body)) throw new MalformedWebhookError('a Meta webhook is a JSON object with "object" and "entry"');
  const envelope = parseAt(MetaEnvelopeSchema, body, 'body');
  if (envelope.object !== WHATSAPP_OBJECT) {
    // Another Meta product subscribed to this URL: authentic, just not ours.
    ignore(batch, 'unknown_object', { detail: detailOf(envelope.object) });
    return batch;
  }
  envelope.entry.forEach((rawEntry, entryIndex) => {
    const entry = parseAt(MetaEntrySchema, rawEntry, `entry[${entryIndex}]`);
    (entry.changes ?? []).forEach((change, changeIndex) => {
      const path = `entry[${entryIndex}].changes[${changeIndex}]`;
      if (change.field !== 'messages') ignore(batch, 'unknown_field', { detail: detailOf(change.field) });
      else readMessagesChange(batch, change.value, `${path}.value`, context);
    });
  });
  return batch;
}

interface Channel {
  phoneNumberId: string;
  contacts: MetaContact[];
}

function readMessagesChange(batch: AcceptedBatch, rawValue: unknown, path: string, context: NormalizeContext): void {
  const value = parseAt(MetaMessagesValueSchema, rawValue, path);
  const phoneNumberId = value.metadata?.phone_number_id;
  // Contacts only lend names; a malformed one is skipped rather than failing the delivery.
  const contacts = (value.contacts ?? []).flatMap((contact) => {
    const parsed = MetaContactSchema.safeParse(contact);
    return parsed.success ? [parsed.data] : [];
  });
  (value.messages ?? []).forEach((rawMessage, index) => {
    if (phoneNumberId === undefined) throw new MalformedWebhookError('messages without metadata.phone_number_id cannot be attributed to a business number', `${path}.metadata`);
    const message = parseAt(MetaMessageSchema, rawMessage, `${path}.messages[${index}]`);
    readMessage(batch, message, { phoneNumberId, contacts }, `${path}.messages[${index}]`, context);
  });
  for (const rawStatus of value.statuses ?? []) readStatus(batch, rawStatus, phoneNumberId, context);
}

function readMessage(batch: AcceptedBatch, message: MetaMessage, channel: Channel, path: string, context: NormalizeContext): void {
  const customer = message.from || message.from_user_id;
  if (!customer) throw new MalformedWebhookError('a customer message needs "from" or "from_user_id"', path);
  const messageId = message.id;
  const timestamp = unixSecondsToMillis(message.timestamp, context.receivedAt);
  const contact = findContact(channel.contacts, message);
  const name = contact?.profile?.name || undefined;

  if (message.type === 'system') return ignore(batch, 'system', { messageId });

  const isGroup = message.group_id !== undefined;
  if (isGroup && context.ignore.groups) return ignore(batch, 'group', { messageId, detail: 'group' });
  const chat = message.group_id ?? customer;
  const conversationKey = conversationKeyOf('meta', channel.phoneNumberId, chat);
  const base = {
    provider: 'meta' as const,
    messageId,
    conversationKey,
    from: customer,
    ...(message.from && message.from_user_id && { customerUserId: message.from_user_id }),
    ...(name !== undefined && { name }),
    timestamp,
    phoneNumberId: channel.phoneNumberId,
    ...(isGroup && { groupId: chat }),
    ...(message.context?.id !== undefined && { replyTo: message.context.id }),
  };
  const notice = (because: TextOnlyReason) => {
    ignore(batch, because, { messageId, conversationKey, detail: detailOf(message.type) });
    batch.textOnlyNotices.push({
      provider: 'meta',
      messageId,
      conversationKey,
      from: customer,
      ...(name !== undefined && { name }),
      because,
      timestamp,
      phoneNumberId: channel.phoneNumberId,
    });
  };
  const inbound = (text: string, extra: { payload?: string; media?: Media; replyTo?: string } = {}) => {
    if (text.trim() === '') return ignore(batch, 'unsupported', { messageId, conversationKey, detail: 'empty_text' });
    batch.messages.push({ ...base, text, ...extra });
  };

  switch (message.type) {
    case 'text':
      if (!message.text) throw new MalformedWebhookError('a text message needs text.body', path);
      return inbound(message.text.body);
    case 'image':
    case 'video':
    case 'document': {
      const media = message[message.type];
      if (media?.caption?.trim()) return inbound(media.caption, { media: mediaOf(message.type, media) });
      return notice('media_without_text');
    }
    case 'audio':
    case 'sticker':
      return notice('media_without_text');
    case 'interactive': {
      const reply = message.interactive?.button_reply ?? message.interactive?.list_reply;
      if (reply) return inbound(reply.title, { payload: reply.id });
      return notice('unsupported'); // e.g. a WhatsApp Flow's nfm_reply: not text the bot can read
    }
    case 'button':
      if (!message.button) throw new MalformedWebhookError('a button message needs button.text', path);
      return inbound(message.button.text, message.button.payload !== undefined ? { payload: message.button.payload } : {});
    case 'reaction': {
      const emoji = message.reaction?.emoji;
      // An empty emoji is a reaction being removed: never a message.
      if (context.ignore.reactions || !emoji) return ignore(batch, 'reaction', { messageId, conversationKey });
      const reacted = message.reaction?.message_id;
      return inbound(emoji, reacted !== undefined ? { replyTo: reacted } : {});
    }
    case 'location':
      return notice('location');
    case 'contacts':
      return notice('contacts');
    default:
      // 'unsupported', 'unknown', 'order' and types Meta adds later: tell the customer we read text only.
      return notice('unsupported');
  }
}

function findContact(contacts: MetaContact[], message: MetaMessage): MetaContact | undefined {
  const byId = contacts.find(
    (contact) => (message.from && contact.wa_id === message.from) || (message.from_user_id && contact.user_id === message.from_user_id),
  );
  // One contact and one sender: Meta's own examples sometimes differ in number formatting (BR ninth digit).
  return byId ?? (contacts.length === 1 ? contacts[0] : undefined);
}

function mediaOf(kind: Media['kind'], media: MetaMedia): Media {
  return {
    kind,
    ...(media.mime_type !== undefined && { mimeType: media.mime_type }),
    ...(media.id !== undefined && { providerMediaId: media.id }),
    ...(media.filename !== undefined && { filename: media.filename }),
  };
}

const META_STATUSES: Record<string, DeliveryStatus> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/** Statuses are informational: one that cannot be read is counted as ignored, never a reason for a 400. */
function readStatus(batch: AcceptedBatch, rawStatus: unknown, phoneNumberId: string | undefined, context: NormalizeContext): void {
  const parsed = MetaStatusSchema.safeParse(rawStatus);
  if (!parsed.success) return ignore(batch, 'status', { detail: 'unreadable' });
  const status = parsed.data;
  const conversationKey = phoneNumberId && status.recipient_id ? conversationKeyOf('meta', phoneNumberId, status.recipient_id) : undefined;
  ignore(batch, 'status', { messageId: status.id, ...(conversationKey && { conversationKey }), detail: detailOf(status.status) });
  const delivery = Object.hasOwn(META_STATUSES, status.status) ? META_STATUSES[status.status] : undefined;
  if (!delivery) return;
  const error = status.errors?.[0];
  batch.statusUpdates.push({
    provider: 'meta',
    messageId: status.id,
    status: delivery,
    timestamp: unixSecondsToMillis(status.timestamp, context.receivedAt),
    ...(conversationKey && { conversationKey }),
    ...(error?.code !== undefined && { errorCode: error.code }),
    ...(error?.title !== undefined && { errorTitle: error.title }),
  });
}
