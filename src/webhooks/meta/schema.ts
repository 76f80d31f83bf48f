/**
 * The parts of Meta's WhatsApp Cloud API webhook the receiver reads. Objects strip unknown fields (Meta
 * adds fields over time; none of them should break intake); only the fields read are typed.
 * Reference: developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/*
 */
import { z } from 'zod';
import { MAX_ID_LENGTH } from '../types.js';

const Id = z.string().min(1).max(MAX_ID_LENGTH);
/** Informational strings: a wrong type there is dropped, not a reason to refuse the delivery. */
const lenientString = z.string().optional().catch(undefined);

/** `{ object, entry: [...] }`: anything else is not a Meta webhook at all (400). */
export const MetaEnvelopeSchema = z.object({
  object: z.string(),
  entry: z.array(z.unknown()),
});

export const MetaEntrySchema = z.object({
  id: lenientString,
  changes: z.array(z.object({ field: z.string(), value: z.unknown().optional() })).optional(),
});

export const MetaMessagesValueSchema = z.object({
  metadata: z.object({ phone_number_id: Id, display_phone_number: lenientString }).optional(),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

export const MetaContactSchema = z.object({
  wa_id: lenientString,
  user_id: lenientString,
  profile: z.object({ name: lenientString }).optional().catch(undefined),
});
export type MetaContact = z.infer<typeof MetaContactSchema>;

const MetaMediaSchema = z.object({
  caption: z.string().optional(),
  mime_type: lenientString,
  id: lenientString,
  filename: lenientString,
});
export type MetaMedia = z.infer<typeof MetaMediaSchema>;

const MetaReplySchema = z.object({ id: z.string(), title: z.string() });

/** A completed WhatsApp Flow: `response_json` is a JSON string of the answers the customer gave. */
const MetaFlowReplySchema = z.object({ name: lenientString, body: lenientString, response_json: lenientString });

/** What an edited message now says (Meta `edit.message`, coexistence): the new content, typed like a message. */
const MetaEditedContentSchema = z.object({
  type: lenientString,
  text: z.object({ body: z.string() }).optional().catch(undefined),
  image: z.object({ caption: lenientString }).optional().catch(undefined),
  video: z.object({ caption: lenientString }).optional().catch(undefined),
  document: z.object({ caption: lenientString }).optional().catch(undefined),
});

export const MetaMessageSchema = z.object({
  id: Id,
  from: z.string().max(MAX_ID_LENGTH).optional(),
  /** Business-scoped user id (BSUID); the only sender id when the customer uses a WhatsApp username. */
  from_user_id: z.string().max(MAX_ID_LENGTH).optional(),
  timestamp: z.unknown().optional(),
  /**
   * Optional: some of Meta's own documented examples (location, older payload examples) leave it out; the
   * type is then read from the content key the message carries.
   */
  type: z.string().optional(),
  /** Echoes (`smb_message_echoes`): the customer the business wrote to, and their BSUID. */
  to: z.string().max(MAX_ID_LENGTH).optional(),
  to_user_id: z.string().max(MAX_ID_LENGTH).optional(),
  /** The quoted message, when the customer replied to one. */
  context: z.object({ id: Id.optional() }).optional(),
  /** Cloud API groups: the message was written in a group. */
  group_id: Id.optional(),
  text: z.object({ body: z.string() }).optional(),
  image: MetaMediaSchema.optional(),
  video: MetaMediaSchema.optional(),
  document: MetaMediaSchema.optional(),
  audio: MetaMediaSchema.optional(),
  sticker: MetaMediaSchema.optional(),
  interactive: z
    .object({
      type: z.string(),
      button_reply: MetaReplySchema.optional(),
      list_reply: MetaReplySchema.optional(),
      nfm_reply: MetaFlowReplySchema.optional().catch(undefined),
    })
    .optional(),
  /** The customer edited an earlier message (coexistence numbers). */
  edit: z.object({ original_message_id: Id.optional().catch(undefined), message: MetaEditedContentSchema.optional().catch(undefined) }).optional().catch(undefined),
  /** Template quick-reply button. */
  button: z.object({ text: z.string(), payload: z.string().optional() }).optional(),
  reaction: z.object({ message_id: Id.optional(), emoji: z.string().optional() }).optional(),
  unsupported: z.object({ type: lenientString }).optional().catch(undefined),
});
export type MetaMessage = z.infer<typeof MetaMessageSchema>;

/** `smb_message_echoes`: what the business sent from the WhatsApp Business app; the messages live in `message_echoes`. */
export const MetaEchoesValueSchema = z.object({
  metadata: z.object({ phone_number_id: Id, display_phone_number: lenientString }).optional(),
  message_echoes: z.array(z.unknown()).optional(),
});

export const MetaStatusSchema = z.object({
  id: Id,
  status: z.string(),
  timestamp: z.unknown().optional(),
  recipient_id: z.string().min(1).max(MAX_ID_LENGTH).optional().catch(undefined),
  errors: z
    .array(z.object({ code: z.number().int().optional().catch(undefined), title: lenientString }))
    .optional()
    .catch(undefined),
});
export type MetaStatus = z.infer<typeof MetaStatusSchema>;
