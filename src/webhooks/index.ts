// Public API of the webhook receivers (Meta WhatsApp Cloud API and Evolution API).
export { createWebhookRouter } from './router.js';
export type { IgnoreOptions, WebhookLogger, WebhookRouterOptions } from './options.js';
export { DEFAULT_EVOLUTION_BODY_LIMIT, DEFAULT_META_BODY_LIMIT } from './options.js';
export { META_WEBHOOK_PATHS } from './meta/routes.js';
export { EVOLUTION_WEBHOOK_PATH } from './evolution/routes.js';
export { CHATWOOT_WEBHOOK_PATH } from './chatwoot/routes.js';
export { normalizeChatwootWebhook } from './chatwoot/normalize.js';
export { signChatwootBody, verifyChatwootSignature } from './chatwoot/signature.js';
export {
  AcceptedBatchSchema,
  CHATWOOT_STATUSES,
  ConversationStatusSchema,
  DELIVERY_STATUSES,
  IGNORE_REASONS,
  IgnoredItemSchema,
  InboundMessageSchema,
  MAX_ID_LENGTH,
  MediaSchema,
  PROVIDERS,
  StatusUpdateSchema,
  TEXT_ONLY_REASONS,
  TextOnlyNoticeSchema,
} from './types.js';
export type {
  AcceptedBatch,
  ConversationStatus,
  DeliveryStatus,
  IgnoreReason,
  IgnoredItem,
  InboundMessage,
  Media,
  Provider,
  StatusUpdate,
  TextOnlyNotice,
  TextOnlyReason,
} from './types.js';
export { conversationKeyOf, parseConversationKey, type ConversationKeyParts } from './conversation-key.js';
export { MalformedWebhookError, WebhookAcceptError, WebhookAuthError, WebhookConfigError, WebhookError } from './errors.js';
export { safeEqual, verifyEvolutionCredential, verifyMetaSignature } from './auth.js';
export { normalizeMetaWebhook } from './meta/normalize.js';
export { normalizeEvolutionWebhook, type EvolutionRoute } from './evolution/normalize.js';
export type { NormalizeContext } from './batch.js';
export {
  buildEvolutionTextWebhook,
  buildMetaTextWebhook,
  metaWireStringify,
  signMetaBody,
  type EvolutionTextWebhookInput,
  type MetaTextWebhookInput,
  type WebhookRequest,
} from './sign.js';
