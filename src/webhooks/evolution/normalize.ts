/**
 * Evolution API v2 webhook → AcceptedBatch.
 * - `messages.upsert`: customer messages (text, captions, button/list replies) → inbound; media without
 *   caption, locations, contacts, polls… → text-only notices; `fromMe`, groups, WhatsApp Status posts,
 *   reactions → ignored (fromMe/groups/reactions configurable).
 * - `send.message`: what was sent through Evolution's API — by us, or by an agent in Chatwoot — → `fromMe`
 *   messages (ignored with `ignore.fromMe`); the service drops its own by the provider ids it got back.
 * - edits (`messages.edited`, or an edit protocol message in `messages.upsert`) → the new text as a new
 *   inbound message, id `<original id>#edit:<hash of the text>` so both deliveries of one edit dedupe.
 * - voice notes Evolution transcribed (`speechToText`) → inbound messages with the transcript.
 * - `messages.update` → delivery status updates.
 * - connection, QR code and presence events, and every other event → acknowledged and ignored: Evolution
 *   retries anything but 400/401/403/404/422, so unknown events must get 200.
 */
import { createHash } from 'node:crypto';
import { conversationKeyOf } from '../conversation-key.js';
import { type NormalizeContext, detailOf, emptyBatch, ignore, isRecord, parseAt, unixSecondsToMillis } from '../batch.js';
import { MalformedWebhookError } from '../errors.js';
import { type AcceptedBatch, type DeliveryStatus, type IgnoreReason, MAX_ID_LENGTH } from '../types.js';
import { editOf, quotedIdOf, readEvolutionContent } from './content.js';
import { chatKindOf, customerOf, participantOf } from './jid.js';
import { EvolutionEnvelopeSchema, EvolutionMessageUpdateSchema, EvolutionUpsertSchema } from './schema.js';

/** Where the request came in: `/webhooks/evolution[/:instance][/:event]`. */
export interface EvolutionRoute {
  instance?: string | undefined;
  event?: string | undefined;
}

const PLAIN_EVENTS: Record<string, IgnoreReason> = {
  'connection.update': 'connection_event',
  'qrcode.updated': 'qrcode',
  'presence.update': 'presence',
};

/** `messages.upsert` / `MESSAGES_UPSERT` (both spellings exist across versions and docs) → `messages.upsert`. */
function canonicalEvent(event: string): string {
  return event.trim().toLowerCase().replace(/_/g, '.');
}

/** The URL segment Evolution appends with `webhook_by_events` (`messages.upsert` → `messages-upsert`). */
function eventSegmentOf(event: string): string {
  return event.replace(/[._]/g, '-');
}

export function normalizeEvolutionWebhook(body: unknown, route: EvolutionRoute, context: NormalizeContext): AcceptedBatch {
  const batch = emptyBatch('evolution', context.receivedAt);
  if (!isRecord(body)) throw new MalformedWebhookError('an Evolution webhook is a JSON object with "event" and "data"');
  const envelope = parseAt(EvolutionEnvelopeSchema, body, 'body');
  if (!Object.hasOwn(body, 'data')) throw new MalformedWebhookError('an Evolution webhook needs a "data" field', 'body.data');
  const event = canonicalEvent(envelope.event);
  const instance = instanceOf(route, envelope.instance, event);
  const items = Array.isArray(envelope.data) ? envelope.data : [envelope.data];

  switch (event) {
    case 'messages.upsert':
      items.forEach((item, index) => readUpsert(batch, item, itemPath(envelope.data, index), instance, context));
      return batch;
    case 'send.message':
      items.forEach((item, index) => {
        // Our own sends come back here too: never refuse one, whatever its shape (Evolution does not retry a 400 anyway).
        if (context.ignore.fromMe || !isRecord(item) || !isRecord(item.key)) return ignore(batch, 'from_me', { ...messageIdOf(item), detail: 'send.message' });
        const key = { ...item.key, fromMe: true };
        readUpsert(batch, { ...item, key }, itemPath(envelope.data, index), instance, context);
      });
      return batch;
    case 'messages.edited':
      for (const item of items) readEdited(batch, item, instance, context);
      return batch;
    case 'messages.update':
      for (const item of items) readUpdate(batch, item, instance, context);
      return batch;
    default:
      ignore(batch, PLAIN_EVENTS[event] ?? 'unknown_event', { detail: detailOf(event) });
      return batch;
  }
}

function itemPath(data: unknown, index: number): string {
  return Array.isArray(data) ? `data[${index}]` : 'data';
}

/**
 * The instance (business channel) from the URL, else from the body. A lone URL segment equal to the event's
 * segment is the `webhook_by_events` suffix of `/webhooks/evolution`, not an instance name.
 */
function instanceOf(route: EvolutionRoute, bodyInstance: unknown, event: string): string | undefined {
  const fromPath = route.event === undefined && route.instance === eventSegmentOf(event) ? undefined : route.instance;
  const instance = fromPath ?? (typeof bodyInstance === 'string' && bodyInstance !== '' ? bodyInstance : undefined);
  if (instance !== undefined && instance.length > MAX_ID_LENGTH) throw new MalformedWebhookError(`the instance name is longer than ${MAX_ID_LENGTH} characters`, 'instance');
  return instance;
}

function messageIdOf(item: unknown): { messageId?: string } {
  const id = isRecord(item) && isRecord(item.key) ? item.key.id : undefined;
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_ID_LENGTH ? { messageId: id } : {};
}

function readUpsert(batch: AcceptedBatch, item: unknown, path: string, instance: string | undefined, context: NormalizeContext): void {
  if (!isRecord(item) || !Object.hasOwn(item, 'key')) throw new MalformedWebhookError('messages.upsert needs data.key (remoteJid and id) to attribute and deduplicate the message', path);
  const data = parseAt(EvolutionUpsertSchema, item, path);
  const { key } = data;
  const messageId = key.id;
  const fromMe = key.fromMe === true;
  const chatKind = chatKindOf(key.remoteJid);
  if (chatKind === 'broadcast') return ignore(batch, 'broadcast', { messageId });
  if (chatKind === 'other') return ignore(batch, 'unsupported', { messageId, detail: 'jid' });
  if (chatKind === 'group' && context.ignore.groups) return ignore(batch, 'group', { messageId });
  if (fromMe && context.ignore.fromMe) return ignore(batch, 'from_me', { messageId });
  if (instance === undefined) throw new MalformedWebhookError('no instance in the URL or the body: cannot tell which business number the message is for', 'instance');

  const isGroup = chatKind === 'group';
  const from = isGroup ? participantOf(key) : customerOf(key);
  // A group message from the business itself names no participant: nobody to attribute it to.
  if (from === undefined) return ignore(batch, isGroup ? 'group' : 'unsupported', { messageId, detail: 'no_sender' });
  const chat = isGroup ? key.remoteJid : from;
  const conversationKey = conversationKeyOf('evolution', instance, chat);
  // pushName on the business's own messages is the business ("Você"), not the customer.
  const name = !fromMe && data.pushName ? data.pushName : undefined;
  const timestamp = unixSecondsToMillis(data.messageTimestamp, context.receivedAt);
  const content = readEvolutionContent(data.message, `${path}.message`);
  const replyTo = quotedIdOf(data.contextInfo) ?? (content.kind === 'text' ? content.replyTo : undefined);
  const base = {
    provider: 'evolution' as const,
    messageId,
    conversationKey,
    from,
    ...(name !== undefined && { name }),
    timestamp,
    instance,
    ...(isGroup && { groupId: key.remoteJid }),
    ...(fromMe && { fromMe: true as const }),
  };

  switch (content.kind) {
    case 'edit': {
      if (fromMe) return ignore(batch, 'from_me', { messageId, conversationKey, detail: 'edit' });
      batch.messages.push({ ...base, messageId: editMessageId(content.originalId, content.text), text: content.text, editOf: content.originalId });
      return;
    }
    case 'text':
      batch.messages.push({
        ...base,
        text: content.text,
        ...(content.payload !== undefined && { payload: content.payload }),
        ...(content.media !== undefined && { media: content.media }),
        ...(replyTo !== undefined && { replyTo }),
      });
      return;
    case 'reaction':
      // An empty reaction is one being removed: never a message.
      if (context.ignore.reactions || content.emoji === '') return ignore(batch, 'reaction', { messageId, conversationKey });
      batch.messages.push({ ...base, text: content.emoji, ...(content.reactedId !== undefined && { replyTo: content.reactedId }) });
      return;
    case 'notice':
      ignore(batch, content.because, { messageId, conversationKey, detail: content.detail });
      // Never tell the business's own phone that only text is understood.
      if (!fromMe) {
        batch.textOnlyNotices.push({
          provider: 'evolution',
          messageId,
          conversationKey,
          from,
          ...(name !== undefined && { name }),
          because: content.because,
          timestamp,
          instance,
        });
      }
      return;
    case 'ignored':
      return ignore(batch, content.because, { messageId, conversationKey, detail: content.detail });
  }
}

/** One id per edit of a message, the same whether it came as `messages.upsert` or `messages.edited`. */
export function editMessageId(originalId: string, text: string): string {
  return `${originalId}#edit:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

/** `messages.edited`: `data` is the edit protocol message (`{ key, type: 14, editedMessage }`). */
function readEdited(batch: AcceptedBatch, item: unknown, instance: string | undefined, context: NormalizeContext): void {
  const edit = editOf(item);
  const key = isRecord(item) && isRecord(item.key) ? item.key : undefined;
  const remoteJid = typeof key?.remoteJid === 'string' && key.remoteJid.length <= MAX_ID_LENGTH ? key.remoteJid : undefined;
  if (!edit || remoteJid === undefined) return ignore(batch, 'system', { detail: 'messages.edited' });
  const messageId = editMessageId(edit.originalId, edit.text);
  if (key?.fromMe === true) return ignore(batch, 'from_me', { messageId, detail: 'messages.edited' });
  if (chatKindOf(remoteJid) !== 'direct') return ignore(batch, 'unsupported', { messageId, detail: 'messages.edited' });
  const from = customerOf({ remoteJid, id: edit.originalId, ...(typeof key?.remoteJidAlt === 'string' && { remoteJidAlt: key.remoteJidAlt }), ...(typeof key?.senderPn === 'string' && { senderPn: key.senderPn }) });
  if (from === undefined) return ignore(batch, 'unsupported', { messageId, detail: 'no_sender' });
  if (instance === undefined) throw new MalformedWebhookError('no instance in the URL or the body: cannot tell which business number the message is for', 'instance');
  batch.messages.push({
    provider: 'evolution',
    messageId,
    conversationKey: conversationKeyOf('evolution', instance, from),
    from,
    text: edit.text,
    editOf: edit.originalId,
    timestamp: context.receivedAt,
    instance,
  });
}

/** Baileys' status names and numbers (src/utils/renderStatus.ts in Evolution). */
const EVOLUTION_STATUSES: Record<string, DeliveryStatus> = {
  ERROR: 'failed',
  PENDING: 'pending',
  SERVER_ACK: 'sent',
  DELIVERY_ACK: 'delivered',
  READ: 'read',
  PLAYED: 'read',
  '0': 'failed',
  '1': 'pending',
  '2': 'sent',
  '3': 'delivered',
  '4': 'read',
  '5': 'read',
};

/** Statuses are informational: one that cannot be read is counted as ignored, never a reason for a 400. */
function readUpdate(batch: AcceptedBatch, item: unknown, instance: string | undefined, context: NormalizeContext): void {
  const parsed = EvolutionMessageUpdateSchema.safeParse(item);
  const update = parsed.success ? parsed.data : undefined;
  const messageId = update?.keyId ?? update?.key?.id;
  const rawStatus = update?.status ?? update?.update?.status;
  const statusName = typeof rawStatus === 'string' || typeof rawStatus === 'number' ? String(rawStatus).toUpperCase() : undefined;
  const status = statusName !== undefined && Object.hasOwn(EVOLUTION_STATUSES, statusName) ? EVOLUTION_STATUSES[statusName] : undefined;
  const remoteJid = update?.remoteJid ?? update?.key?.remoteJid;
  const customer = remoteJid !== undefined && chatKindOf(remoteJid) === 'direct' ? customerOf({ remoteJid, id: messageId ?? '' }) : undefined;
  const conversationKey = instance !== undefined && customer !== undefined ? conversationKeyOf('evolution', instance, customer) : undefined;
  ignore(batch, 'status', {
    ...(messageId !== undefined && { messageId }),
    ...(conversationKey !== undefined && { conversationKey }),
    ...(statusName !== undefined && { detail: detailOf(statusName) }),
  });
  if (messageId === undefined || status === undefined) return;
  batch.statusUpdates.push({
    provider: 'evolution',
    messageId,
    status,
    timestamp: context.receivedAt,
    ...(conversationKey !== undefined && { conversationKey }),
  });
}
