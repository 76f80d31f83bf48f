/**
 * Meta WhatsApp Cloud API delivery → AcceptedBatch. One POST can hold many entries, each with many
 * changes, each with many messages and statuses: all of them are read.
 *
 * What becomes what:
 * - text, media captions, interactive button/list replies, template quick replies, completed WhatsApp Flows
 *   (`nfm_reply`: the answers as text), edits (`edit`: the new text, a new turn) → inbound messages;
 * - media without caption, location, contacts, unsupported and unknown types → text-only notices;
 *   `request_welcome` (the customer opened the chat, wrote nothing) → a notice answered with a greeting;
 * - `smb_message_echoes` (coexistence: what the business wrote from the WhatsApp Business app) → `fromMe`
 *   inbound messages, unless `ignore.fromMe` (then ignored): a person took over;
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
  MetaEchoesValueSchema,
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
      if (change.field === 'messages') readMessagesChange(batch, change.value, `${path}.value`, context);
      else if (change.field === 'smb_message_echoes') readEchoes(batch, change.value, `${path}.value`, context);
      else ignore(batch, 'unknown_field', { detail: detailOf(change.field) });
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
    const message = withType(parseAt(MetaMessageSchema, rawMessage, `${path}.messages[${index}]`), rawMessage);
    readMessage(batch, message, { phoneNumberId, contacts }, `${path}.messages[${index}]`, context);
  });
  for (const rawStatus of value.statuses ?? []) readStatus(batch, rawStatus, phoneNumberId, context);
}

/** Content keys a message can carry, in the order they are looked for when `type` is missing. */
const CONTENT_KEYS = ['text', 'image', 'video', 'document', 'audio', 'sticker', 'location', 'contacts', 'interactive', 'button', 'reaction', 'edit', 'order', 'system'];

/** Meta's documented location example has no `type`: read it from the content the message carries. */
function withType(message: MetaMessage, raw: unknown): MetaMessage & { type: string } {
  if (message.type !== undefined) return { ...message, type: message.type };
  const key = isRecord(raw) ? CONTENT_KEYS.find((name) => isRecord(raw[name]) || Array.isArray(raw[name])) : undefined;
  return { ...message, type: key ?? 'unknown' };
}

/** A completed WhatsApp Flow: its answers (`response_json`, minus the technical `flow_token`) as `field: value` lines. */
function flowAnswersText(responseJson: string | undefined): string | undefined {
  if (!responseJson) return undefined;
  let answers: unknown;
  try {
    answers = JSON.parse(responseJson);
  } catch {
    return undefined;
  }
  if (!isRecord(answers)) return undefined;
  const lines = Object.entries(answers)
    .filter(([key, value]) => key !== 'flow_token' && value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return lines.length > 0 ? lines.join('\n') : undefined;
}

/** Customer ids as the echo names them (`+16505551234` in Meta's example) → the digits the customer's own messages carry. */
function customerIdOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return /^\+?[\d\s().-]{8,24}$/.test(value) ? value.replace(/\D/g, '') : value;
}

/**
 * `smb_message_echoes`: an agent answered from the WhatsApp Business app (coexistence). Each echo becomes a
 * `fromMe` message of the customer's conversation, so that the lifecycle hands the conversation to a person
 * (as Evolution's `fromMe` does). The text is what the agent wrote, or `[<type>]` for media and the like.
 */
function readEchoes(batch: AcceptedBatch, rawValue: unknown, path: string, context: NormalizeContext): void {
  const value = parseAt(MetaEchoesValueSchema, rawValue, path);
  const phoneNumberId = value.metadata?.phone_number_id;
  (value.message_echoes ?? []).forEach((rawEcho, index) => {
    const echoPath = `${path}.message_echoes[${index}]`;
    if (phoneNumberId === undefined) throw new MalformedWebhookError('echoes without metadata.phone_number_id cannot be attributed to a business number', `${path}.metadata`);
    const echo = withType(parseAt(MetaMessageSchema, rawEcho, echoPath), rawEcho);
    if (context.ignore.fromMe) return ignore(batch, 'from_me', { messageId: echo.id, detail: 'smb_message_echoes' });
    const customer = customerIdOf(echo.to) ?? echo.to_user_id;
    if (!customer) throw new MalformedWebhookError('an echo needs "to" or "to_user_id" (the customer written to)', echoPath);
    const text = echo.text?.body ?? echo.image?.caption ?? echo.video?.caption ?? echo.document?.caption;
    batch.messages.push({
      provider: 'meta',
      messageId: echo.id,
      conversationKey: conversationKeyOf('meta', phoneNumberId, customer),
      from: customer,
      text: text?.trim() ? text : `[${detailOf(echo.type)}]`,
      timestamp: unixSecondsToMillis(echo.timestamp, context.receivedAt),
      phoneNumberId,
      fromMe: true,
    });
  });
}

function readMessage(batch: AcceptedBatch, message: MetaMessage & { type: string }, channel: Channel, path: string, context: NormalizeContext): void {
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
  const inbound = (text: string, extra: { payload?: string; media?: Media; replyTo?: string; editOf?: string } = {}) => {
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
      // A completed WhatsApp Flow: the answers are text Meta already gives; "Sent" alone says nothing.
      const flowText = flowAnswersText(message.interactive?.nfm_reply?.response_json);
      if (flowText) return inbound(flowText);
      return notice('unsupported');
    }
    case 'edit': {
      // A new turn with the new text (not an update of the pending one): the original may already have been
      // answered, and a customer who corrects a question expects the corrected one answered.
      const edited = message.edit?.message;
      const text = edited?.text?.body ?? edited?.image?.caption ?? edited?.video?.caption ?? edited?.document?.caption;
      if (!text?.trim()) return ignore(batch, 'system', { messageId, conversationKey, detail: 'edit' });
      const original = message.edit?.original_message_id;
      return inbound(text, original !== undefined ? { editOf: original } : {});
    }
    case 'request_welcome':
      return notice('welcome_request');
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
