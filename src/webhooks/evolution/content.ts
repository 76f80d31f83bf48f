/**
 * What a customer sent, read from an Evolution `data.message` (a Baileys `proto.IMessage` as JSON).
 * Text lives in `conversation` (v2.1+ rewrites everything to it), else `extendedTextMessage.text` (v2.0.x),
 * else a media caption; button/list replies carry a title and an id, like Meta's interactive replies.
 */
import { isRecord } from '../batch.js';
import { MalformedWebhookError } from '../errors.js';
import type { Media, TextOnlyReason } from '../types.js';

export type EvolutionContent =
  | { kind: 'text'; text: string; payload?: string; media?: Media; replyTo?: string }
  | { kind: 'reaction'; emoji: string; reactedId?: string }
  /** The customer edited an earlier message: its new text and the edited message's id. */
  | { kind: 'edit'; text: string; originalId: string }
  | { kind: 'notice'; because: TextOnlyReason; detail: string }
  | { kind: 'ignored'; because: 'system' | 'unsupported'; detail: string };

/** Containers around the real content (disappearing messages, view-once, documents with captions). */
const WRAPPERS = ['ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'viewOnceMessageV2Extension', 'documentWithCaptionMessage'];
/** Keys that ride along with content but are not content themselves (key distribution, Evolution's extras). */
const NOT_CONTENT = new Set(['messageContextInfo', 'senderKeyDistributionMessage', 'base64', 'mediaUrl', 'speechToText']);
const MEDIA_KINDS: Record<string, Media['kind']> = {
  imageMessage: 'image',
  videoMessage: 'video',
  documentMessage: 'document',
  audioMessage: 'audio',
  stickerMessage: 'sticker',
  ptvMessage: 'video',
};
const CAPTIONED = new Set(['imageMessage', 'videoMessage', 'documentMessage']);
const NOTICES: Record<string, TextOnlyReason> = {
  locationMessage: 'location',
  liveLocationMessage: 'location',
  contactMessage: 'contacts',
  contactsArrayMessage: 'contacts',
};
/** Not something the customer wrote: revocations, edits, pins, history sync, key exchanges. */
const SYSTEM = new Set(['protocolMessage', 'editedMessage', 'pinInChatMessage', 'keepInChatMessage', 'encReactionMessage', 'pollUpdateMessage']);

/** A string field, or undefined when absent/null; any other type is a malformed message (400). */
function stringAt(holder: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = holder[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MalformedWebhookError(`expected a string, got ${Array.isArray(value) ? 'array' : typeof value}`, `${path}.${key}`);
  return value;
}

function recordAt(holder: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const value = holder[key];
  return isRecord(value) ? value : undefined;
}

/** `contextInfo.stanzaId`: the quoted message id. */
export function quotedIdOf(contextInfo: unknown): string | undefined {
  if (!isRecord(contextInfo)) return undefined;
  const id = contextInfo.stanzaId;
  return typeof id === 'string' && id.length > 0 && id.length <= 256 ? id : undefined;
}

export function readEvolutionContent(rawMessage: unknown, path: string): EvolutionContent {
  let message = rawMessage;
  let at = path;
  for (let depth = 0; depth < 4 && isRecord(message); depth++) {
    const wrapper = WRAPPERS.find((name) => isRecord(recordAt(message as Record<string, unknown>, name)?.message));
    if (!wrapper) break;
    message = (message[wrapper] as Record<string, unknown>).message;
    at = `${at}.${wrapper}.message`;
  }
  if (!isRecord(message)) return { kind: 'ignored', because: 'unsupported', detail: 'no_message' };
  return readUnwrapped(message, at);
}

/** Evolution's transcript of a voice note (OpenAI integration with `speechToText` on): `"[audio] <transcript>"`. */
function transcriptOf(message: Record<string, unknown>): string | undefined {
  const value = message.speechToText;
  if (typeof value !== 'string') return undefined;
  const transcript = value.replace(/^\[audio\]\s*/, '').trim();
  return transcript === '' ? undefined : transcript;
}

/** Protocol message types of an edit (Baileys `proto.Message.ProtocolMessage.Type.MESSAGE_EDIT`). */
const MESSAGE_EDIT = new Set<unknown>([14, 'MESSAGE_EDIT']);

/**
 * An edit, as Evolution forwards it in `messages.upsert` (`protocolMessage`, or wrapped in `editedMessage`)
 * and as the `data` of `messages.edited`: `{ key: { id }, type: 14, editedMessage: { conversation | extendedTextMessage } }`.
 */
export function editOf(protocol: unknown): { text: string; originalId: string } | undefined {
  if (!isRecord(protocol)) return undefined;
  if (protocol.type !== undefined && !MESSAGE_EDIT.has(protocol.type)) return undefined;
  const key = recordAt(protocol, 'key');
  const originalId = key?.id;
  const edited = recordAt(protocol, 'editedMessage');
  if (typeof originalId !== 'string' || originalId.length === 0 || originalId.length > 200 || !edited) return undefined;
  const extended = recordAt(edited, 'extendedTextMessage');
  const body = edited.conversation ?? extended?.text ?? recordAt(edited, 'imageMessage')?.caption ?? recordAt(edited, 'videoMessage')?.caption;
  return typeof body === 'string' && body.trim() !== '' ? { text: body, originalId } : undefined;
}

function readUnwrapped(message: Record<string, unknown>, at: string): EvolutionContent {
  const conversation = stringAt(message, 'conversation', at);
  if (conversation !== undefined) return text(conversation);
  // A voice note Evolution already transcribed: the customer said it, so it is what they wrote.
  const transcript = transcriptOf(message);
  if (transcript !== undefined) return text(transcript, { media: { kind: 'audio', ...audioMimeOf(message) } });
  const edit = editOf(recordAt(message, 'protocolMessage') ?? recordAt(recordAt(recordAt(message, 'editedMessage') ?? {}, 'message') ?? {}, 'protocolMessage'));
  if (edit) return { kind: 'edit', ...edit };

  const contentKey = Object.keys(message).find((key) => !NOT_CONTENT.has(key) && message[key] !== null && message[key] !== undefined);
  if (contentKey === undefined) return { kind: 'ignored', because: 'system', detail: 'no_content' };
  const content = recordAt(message, contentKey);
  const contentPath = `${at}.${contentKey}`;
  const replyTo = content ? quotedIdOf(content.contextInfo) : undefined;
  const withReply = replyTo !== undefined ? { replyTo } : {};

  if (contentKey === 'extendedTextMessage' && content) {
    const body = stringAt(content, 'text', contentPath);
    if (body !== undefined) return text(body, withReply);
  }
  const mediaKind = MEDIA_KINDS[contentKey];
  if (mediaKind !== undefined && content) {
    const caption = CAPTIONED.has(contentKey) ? stringAt(content, 'caption', contentPath) : undefined;
    if (caption?.trim()) return text(caption, { ...withReply, media: mediaOf(mediaKind, content) });
    return { kind: 'notice', because: 'media_without_text', detail: contentKey };
  }
  if (content) {
    const reply = interactiveReplyOf(contentKey, content, contentPath);
    if (reply) return text(reply.title, { ...withReply, ...(reply.id !== undefined && { payload: reply.id }) });
  }
  if (contentKey === 'reactionMessage' && content) {
    const emoji = stringAt(content, 'text', contentPath) ?? '';
    const reacted = recordAt(content, 'key')?.id;
    return { kind: 'reaction', emoji, ...(typeof reacted === 'string' && reacted.length <= 256 && { reactedId: reacted }) };
  }
  const notice = NOTICES[contentKey];
  if (notice !== undefined) return { kind: 'notice', because: notice, detail: contentKey };
  if (SYSTEM.has(contentKey)) return { kind: 'ignored', because: 'system', detail: contentKey.slice(0, 64) };
  // Polls, payments, events, and whatever WhatsApp adds next: tell the customer we read text only.
  return { kind: 'notice', because: 'unsupported', detail: contentKey.slice(0, 64) };
}

function text(value: string, extra: { payload?: string; media?: Media; replyTo?: string } = {}): EvolutionContent {
  if (value.trim() === '') return { kind: 'ignored', because: 'unsupported', detail: 'empty_text' };
  return { kind: 'text', text: value, ...extra };
}

/** Reply buttons, list rows and template quick replies (Baileys' *ResponseMessage / *ReplyMessage). */
function interactiveReplyOf(contentKey: string, content: Record<string, unknown>, path: string): { title: string; id?: string } | undefined {
  let title: string | undefined;
  let id: string | undefined;
  if (contentKey === 'buttonsResponseMessage') {
    title = stringAt(content, 'selectedDisplayText', path);
    id = stringAt(content, 'selectedButtonId', path);
  } else if (contentKey === 'templateButtonReplyMessage') {
    title = stringAt(content, 'selectedDisplayText', path);
    id = stringAt(content, 'selectedId', path);
  } else if (contentKey === 'listResponseMessage') {
    title = stringAt(content, 'title', path);
    const row = recordAt(content, 'singleSelectReply');
    id = row ? stringAt(row, 'selectedRowId', `${path}.singleSelectReply`) : undefined;
  } else {
    return undefined;
  }
  return title !== undefined ? { title, ...(id !== undefined && { id }) } : undefined;
}

function audioMimeOf(message: Record<string, unknown>): { mimeType?: string } {
  const mimeType = recordAt(message, 'audioMessage')?.mimetype;
  return typeof mimeType === 'string' ? { mimeType: mimeType.slice(0, 256) } : {};
}

function mediaOf(kind: Media['kind'], content: Record<string, unknown>): Media {
  const mimeType = content.mimetype;
  const filename = content.fileName;
  return {
    kind,
    ...(typeof mimeType === 'string' && { mimeType: mimeType.slice(0, 256) }),
    ...(typeof filename === 'string' && { filename: filename.slice(0, 256) }),
  };
}
