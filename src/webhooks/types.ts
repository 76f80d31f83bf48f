/**
 * What the receivers hand to the service: ONE normalized shape for Meta and Evolution, as zod schemas so
 * the service (and the fuzz tests) can validate what they are given. Output schemas are strict: a field
 * the service does not know about is a bug here, not data to carry along.
 */
import { z } from 'zod';

export const PROVIDERS = ['meta', 'evolution', 'chatwoot'] as const;
export const ProviderSchema = z.enum(PROVIDERS);
export type Provider = z.infer<typeof ProviderSchema>;

/**
 * Why an authentic, well-formed item did not become an inbound message (the fixtures' vocabulary).
 * Bounded on purpose: it is safe as a metrics label.
 */
export const IGNORE_REASONS = [
  'status',
  'from_me',
  'group',
  'broadcast',
  'reaction',
  'media_without_text',
  'location',
  'contacts',
  'unsupported',
  'system',
  'unknown_field',
  'unknown_object',
  'unknown_event',
  'connection_event',
  'qrcode',
  'presence',
  'welcome_request',
] as const;
export const IgnoreReasonSchema = z.enum(IGNORE_REASONS);
export type IgnoreReason = z.infer<typeof IgnoreReasonSchema>;

/**
 * The reasons for which the customer gets an automatic answer instead of a conversation turn: that only text
 * is understood, or (`welcome_request`: the customer opened the chat and wrote nothing yet) a greeting.
 */
export const TEXT_ONLY_REASONS = ['media_without_text', 'location', 'contacts', 'unsupported', 'welcome_request'] as const;
export const TextOnlyReasonSchema = z.enum(TEXT_ONLY_REASONS);
export type TextOnlyReason = z.infer<typeof TextOnlyReasonSchema>;

/**
 * Ids are capped: they end up in unique indexes (Postgres refuses btree entries past ~2.7 kB), and a real
 * wamid, JID or instance name is far shorter. Longer ones are rejected as malformed at the receiver.
 */
export const MAX_ID_LENGTH = 256;
const Id = z.string().min(1).max(MAX_ID_LENGTH);

/** Unix time in milliseconds. */
const UnixMillis = z.number().int().nonnegative();

export const MediaSchema = z.strictObject({
  kind: z.enum(['image', 'video', 'document', 'audio', 'sticker']),
  mimeType: z.string().optional(),
  /** Meta media id (download through the Graph API); Evolution sends encrypted URLs, so none there. */
  providerMediaId: z.string().optional(),
  filename: z.string().optional(),
});
export type Media = z.infer<typeof MediaSchema>;

const channelFields = {
  /** Meta: the business phone number id the customer wrote to. */
  phoneNumberId: Id.optional(),
  /** Evolution: the instance (business number) the customer wrote to. */
  instance: Id.optional(),
  /** Chatwoot: the account whose inbox the conversation is in. */
  account: Id.optional(),
};

type ChannelFields = { provider: Provider; phoneNumberId?: string | undefined; instance?: string | undefined; account?: string | undefined };

function channelMatchesProvider(value: ChannelFields): boolean {
  const present = [value.phoneNumberId, value.instance, value.account].filter((field) => field !== undefined).length;
  const own = value.provider === 'meta' ? value.phoneNumberId : value.provider === 'evolution' ? value.instance : value.account;
  return present === 1 && own !== undefined;
}
const channelMessage = { message: 'Meta items carry phoneNumberId, Evolution items carry instance, Chatwoot items carry account', path: ['provider'] };

export const InboundMessageSchema = z
  .strictObject({
    provider: ProviderSchema,
    /** Provider message id (Meta wamid, Evolution key.id): the inbox's dedupe key with `provider`. */
    messageId: Id,
    /** Stable per customer per business channel: `meta:<phone_number_id>:<customer>`, `evolution:<instance>:<customer>`. */
    conversationKey: z.string().min(1),
    /** The customer: phone digits when the payload has them anywhere, else a Meta BSUID or a WhatsApp `…@lid` JID. */
    from: Id,
    /** Meta business-scoped user id, when sent next to the phone number. */
    customerUserId: Id.optional(),
    /** Profile name the customer chose (not verified). */
    name: z.string().optional(),
    /** What the customer wrote: the text, a media caption, or the title of the button/list row tapped. */
    text: z.string().min(1),
    /** Id of the button or list row tapped (interactive replies, template quick replies). */
    payload: z.string().optional(),
    /** Provider id of the message the customer quoted. */
    replyTo: Id.optional(),
    /** Set when the text is a media caption. */
    media: MediaSchema.optional(),
    timestamp: UnixMillis,
    ...channelFields,
    /** Group id, only when groups are not ignored (then `from` is the participant, the key is per group). */
    groupId: Id.optional(),
    /**
     * Only when `ignore.fromMe` is false: a message sent from the business number itself — an agent typing
     * on the phone or the WhatsApp Business app (Meta coexistence echoes), or through Chatwoot (Evolution
     * `send.message`). The service tells its own sends apart by the provider ids it got back.
     */
    fromMe: z.literal(true).optional(),
    /** The customer edited an earlier message: this is the new text, `editOf` the edited message's provider id. */
    editOf: Id.optional(),
  })
  .refine(channelMatchesProvider, channelMessage);
export type InboundMessage = z.infer<typeof InboundMessageSchema>;

/** A customer sent something that is not text (voice note, sticker, location…): reply that only text is understood. */
export const TextOnlyNoticeSchema = z
  .strictObject({
    provider: ProviderSchema,
    messageId: Id,
    conversationKey: z.string().min(1),
    from: Id,
    name: z.string().optional(),
    because: TextOnlyReasonSchema,
    timestamp: UnixMillis,
    ...channelFields,
  })
  .refine(channelMatchesProvider, channelMessage);
export type TextOnlyNotice = z.infer<typeof TextOnlyNoticeSchema>;

/** One item that did not become an inbound message, and why (for logs and metrics). */
export const IgnoredItemSchema = z.strictObject({
  provider: ProviderSchema,
  ignoredBecause: IgnoreReasonSchema,
  messageId: Id.optional(),
  conversationKey: z.string().min(1).optional(),
  /** The provider's own name for what was ignored: a webhook field, an object, an event, a message type (≤ 64 chars). */
  detail: z.string().max(64).optional(),
});
export type IgnoredItem = z.infer<typeof IgnoredItemSchema>;

export const DELIVERY_STATUSES = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** Delivery progress of a message the business sent. */
export const StatusUpdateSchema = z.strictObject({
  provider: ProviderSchema,
  /** Provider id of OUR outbound message. */
  messageId: Id,
  status: DeliveryStatusSchema,
  timestamp: UnixMillis,
  /** The customer's conversation, when the status names the recipient. */
  conversationKey: z.string().min(1).optional(),
  /** Provider error code of a failed delivery (Meta 131047 = outside the 24 h window). */
  errorCode: z.number().int().optional(),
  errorTitle: z.string().optional(),
});
export type StatusUpdate = z.infer<typeof StatusUpdateSchema>;

/**
 * Chatwoot's conversation status as an event carried it: Chatwoot owns who answers (`pending` = the bot,
 * `open`/`snoozed` = a person, `resolved` = done). `agent_message`: a person wrote in the thread.
 */
export const CHATWOOT_STATUSES = ['pending', 'open', 'snoozed', 'resolved'] as const;
export const ConversationStatusSchema = z.strictObject({
  provider: z.literal('chatwoot'),
  conversationKey: z.string().min(1),
  status: z.enum(CHATWOOT_STATUSES),
  /** What told us: a conversation event, a customer's message, or a person's message in the thread. */
  source: z.enum(['conversation_event', 'customer_message', 'agent_message']),
  /** The Chatwoot event name (≤ 64 chars), for logs. */
  event: z.string().max(64),
  timestamp: UnixMillis,
});
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;

/**
 * Everything one authenticated, well-formed request carried. `accept` gets exactly one per request, before
 * the 2xx, even when nothing in it is inbound (so ignored items can be counted).
 *
 * `ignored` accounts for EVERY item that did not become an inbound message, one entry each (statuses and
 * text-only items included); `textOnlyNotices` and `statusUpdates` carry what the service acts on.
 */
export const AcceptedBatchSchema = z.strictObject({
  provider: ProviderSchema,
  /** When the receiver read the request (Unix ms, from the injected clock). */
  receivedAt: UnixMillis,
  messages: z.array(InboundMessageSchema),
  textOnlyNotices: z.array(TextOnlyNoticeSchema),
  ignored: z.array(IgnoredItemSchema),
  statusUpdates: z.array(StatusUpdateSchema),
  /** Chatwoot only: the conversation statuses the request carried, in order (applied after the rows are stored). */
  conversationStatuses: z.array(ConversationStatusSchema).optional(),
});
export type AcceptedBatch = z.infer<typeof AcceptedBatchSchema>;
