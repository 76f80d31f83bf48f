/**
 * The parts of Chatwoot's agent-bot webhooks the receiver reads (Chatwoot v3.x and v4.x, app/listeners/
 * agent_bot_listener.rb). Two payload families:
 *
 * - message events (`message_created`, `message_updated`): `Message#webhook_data` + `event` — `id`, `content`,
 *   `message_type` ("incoming" | "outgoing" | "activity" | "template"), `private`, `created_at` (ISO 8601),
 *   `content_attributes`, `sender` (a contact, a user or an agent bot, each with `type`), `account {id}`,
 *   `inbox {id}`, `conversation` (the conversation's `webhook_data`, below), `attachments` when any;
 * - conversation events (`conversation_opened`, `conversation_resolved`, `conversation_status_changed`,
 *   `conversation_updated`, `conversation_created`): `Conversation#webhook_data` (Conversations::
 *   EventDataPresenter#push_data) + `event` — `id` (the display id, what the API's URLs use), `status`,
 *   `inbox_id`, `meta {sender, assignee}`, `messages` (the last message's push_event_data, with `account_id`),
 *   and on newer versions `changed_attributes`. No `account` there: it is read from the messages.
 *
 * Only the fields read are typed; everything else passes through untouched, and an informational field of
 * the wrong type is dropped rather than refusing the delivery.
 */
import { z } from 'zod';
import { CHATWOOT_STATUSES } from '../types.js';

/** Chatwoot ids are integers; some proxies (and older serializers) turn them into numeric strings. */
export const ChatwootId = z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,15}$/)]).transform(String);
const lenientString = z.string().optional().catch(undefined);
const lenientId = ChatwootId.optional().catch(undefined);

export const ChatwootEnvelopeSchema = z.object({ event: z.string().min(1).max(64) });

/** `conversation.status`; a status this version does not know is dropped (no status change read). */
const StatusSchema = z.enum(CHATWOOT_STATUSES).optional().catch(undefined);

export const ChatwootSenderSchema = z.object({
  id: lenientId,
  /** `contact` (the customer), `user` (an agent), `agent_bot` (a bot, us included). */
  type: lenientString,
  name: lenientString,
  phone_number: z.string().nullish().catch(undefined),
});

export const ChatwootConversationSchema = z.object({
  id: ChatwootId,
  status: StatusSchema,
  meta: z.object({ sender: ChatwootSenderSchema.optional().catch(undefined) }).optional().catch(undefined),
  messages: z.array(z.object({ account_id: lenientId }).passthrough().catch({ account_id: undefined })).optional().catch(undefined),
});

export const ChatwootAttachmentSchema = z.object({
  /** image, audio, video, file, location, fallback, share, story_mention, contact, ig_reel. */
  file_type: lenientString,
});

export const ChatwootMessageEventSchema = z.object({
  event: z.string(),
  id: ChatwootId,
  content: z.string().nullish(),
  /** String in webhook_data; the integer enum (0 incoming, 1 outgoing, 2 activity, 3 template) in push data. */
  message_type: z.union([z.enum(['incoming', 'outgoing', 'activity', 'template']), z.number().int()]),
  private: z.boolean().optional().catch(undefined),
  created_at: z.union([z.string(), z.number()]).optional().catch(undefined),
  content_attributes: z.record(z.string(), z.unknown()).nullish().catch(undefined),
  sender: ChatwootSenderSchema.nullish().catch(undefined),
  account: z.object({ id: ChatwootId }),
  conversation: ChatwootConversationSchema,
  attachments: z.array(ChatwootAttachmentSchema.catch({ file_type: undefined })).optional().catch(undefined),
});
export type ChatwootMessageEvent = z.infer<typeof ChatwootMessageEventSchema>;

export const ChatwootConversationEventSchema = ChatwootConversationSchema.extend({
  event: z.string(),
  /** Present when an account webhook (not an agent bot) is pointed here. */
  account: z.object({ id: ChatwootId }).optional().catch(undefined),
  timestamp: z.number().optional().catch(undefined),
});
export type ChatwootConversationEvent = z.infer<typeof ChatwootConversationEventSchema>;
