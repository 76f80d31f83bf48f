/**
 * `createWebhookRouter`: the express Router the service mounts for both WhatsApp providers.
 *
 *   GET  /webhooks/whatsapp            Meta subscription handshake (alias /webhooks/meta)
 *   POST /webhooks/whatsapp            Meta deliveries, X-Hub-Signature-256 over the raw body (alias /webhooks/meta)
 *   POST /webhooks/evolution[/:instance][/:event]   Evolution deliveries, shared secret in headers
 *   POST /webhooks/chatwoot/:token     Chatwoot agent-bot events, secret in the URL (+ signature when configured)
 *
 * Order per request: credential present and well-formed (401, before any body byte is buffered; the whole
 * check for Evolution) → body read: size limit (413), content encodings refused (415) → Meta HMAC over the
 * raw bytes (401) → JSON and envelope (400) → normalize → `accept` (503 if it throws) → 200.
 * Nothing reaches `accept` unless it is authentic and well-formed; bad input never gets a 5xx.
 */
import { Router } from 'express';
import { mountChatwootRoutes } from './chatwoot/routes.js';
import { mountEvolutionRoutes } from './evolution/routes.js';
import { mountMetaRoutes } from './meta/routes.js';
import { type WebhookRouterOptions, resolveWebhookOptions } from './options.js';
import { webhookErrorHandler } from './respond.js';

/** @throws WebhookConfigError when a secret is empty or no provider is configured. */
export function createWebhookRouter(options: WebhookRouterOptions): Router {
  const resolved = resolveWebhookOptions(options);
  const router = Router();
  mountMetaRoutes(router, resolved);
  mountEvolutionRoutes(router, resolved);
  mountChatwootRoutes(router, resolved);
  router.use(webhookErrorHandler(resolved.logger));
  return router;
}
