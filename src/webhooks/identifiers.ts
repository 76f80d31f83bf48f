/**
 * The last step of both normalizers: every string of the batch leaves the receiver as well-formed Unicode,
 * and every identifier is one a database can store and give back unchanged.
 *
 * Why: JSON may carry a lone UTF-16 surrogate (`"\ud800"`). Both databases store it as U+FFFD, so a row read
 * back no longer equals the id that was written (the inbox's group commit matched rows to requests by id and
 * missed), and the same id could be stored twice under two spellings. `toWellFormed()` gives the spelling the
 * database would give. A control character (U+0000 above all: Postgres refuses it in text) in an id is no
 * real wamid, JID, phone or instance: the request is malformed (400), never a 503 the provider retries forever.
 */
import { MalformedWebhookError } from './errors.js';
import type { AcceptedBatch, IgnoredItem, InboundMessage, StatusUpdate, TextOnlyNotice } from './types.js';

// C0 controls and DEL: never part of a provider's identifier (matching them is the point of this regex).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** An identifier as stored: well-formed, without control characters. @throws MalformedWebhookError */
export function cleanIdentifier(value: string, path: string): string {
  if (CONTROL.test(value)) throw new MalformedWebhookError('contains a control character; identifiers are printable text', path);
  return value.toWellFormed();
}

const optionalId = (value: string | undefined, path: string) => (value === undefined ? undefined : cleanIdentifier(value, path));
const optionalText = (value: string | undefined) => value?.toWellFormed();

/** Copies `fields` onto `target` only when defined (the output schemas are strict about absent keys). */
function defined<T extends object>(target: T, fields: Partial<T>): T {
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  return target;
}

function cleanMessage(message: InboundMessage, path: string): InboundMessage {
  return defined({ ...message }, {
    messageId: cleanIdentifier(message.messageId, `${path}.messageId`),
    conversationKey: cleanIdentifier(message.conversationKey, `${path}.conversationKey`),
    from: cleanIdentifier(message.from, `${path}.from`),
    customerUserId: optionalId(message.customerUserId, `${path}.customerUserId`),
    phoneNumberId: optionalId(message.phoneNumberId, `${path}.phoneNumberId`),
    instance: optionalId(message.instance, `${path}.instance`),
    account: optionalId(message.account, `${path}.account`),
    groupId: optionalId(message.groupId, `${path}.groupId`),
    replyTo: optionalId(message.replyTo, `${path}.replyTo`),
    name: optionalText(message.name),
    text: message.text.toWellFormed(),
    payload: optionalText(message.payload),
    ...(message.media
      ? { media: defined({ ...message.media }, { mimeType: optionalText(message.media.mimeType), providerMediaId: optionalText(message.media.providerMediaId), filename: optionalText(message.media.filename) }) }
      : {}),
  });
}

function cleanNotice(notice: TextOnlyNotice, path: string): TextOnlyNotice {
  return defined({ ...notice }, {
    messageId: cleanIdentifier(notice.messageId, `${path}.messageId`),
    conversationKey: cleanIdentifier(notice.conversationKey, `${path}.conversationKey`),
    from: cleanIdentifier(notice.from, `${path}.from`),
    phoneNumberId: optionalId(notice.phoneNumberId, `${path}.phoneNumberId`),
    instance: optionalId(notice.instance, `${path}.instance`),
    account: optionalId(notice.account, `${path}.account`),
    name: optionalText(notice.name),
  });
}

function cleanStatus(update: StatusUpdate, path: string): StatusUpdate {
  return defined({ ...update }, {
    messageId: cleanIdentifier(update.messageId, `${path}.messageId`),
    conversationKey: optionalId(update.conversationKey, `${path}.conversationKey`),
    errorTitle: optionalText(update.errorTitle),
  });
}

// Ignored items are only counted and logged: they are made well-formed, never a reason to refuse the batch.
function cleanIgnored(item: IgnoredItem): IgnoredItem {
  const printable = (value: string | undefined) => value?.replace(new RegExp(CONTROL.source, 'g'), '').toWellFormed() || undefined;
  return defined({ ...item }, { messageId: printable(item.messageId), conversationKey: printable(item.conversationKey), detail: printable(item.detail) });
}

/** The batch with every identifier checked and every string well-formed. @throws MalformedWebhookError */
export function cleanBatch(batch: AcceptedBatch): AcceptedBatch {
  return {
    ...batch,
    messages: batch.messages.map((message, i) => cleanMessage(message, `messages[${i}]`)),
    textOnlyNotices: batch.textOnlyNotices.map((notice, i) => cleanNotice(notice, `textOnlyNotices[${i}]`)),
    statusUpdates: batch.statusUpdates.map((update, i) => cleanStatus(update, `statusUpdates[${i}]`)),
    ignored: batch.ignored.map(cleanIgnored),
  };
}
