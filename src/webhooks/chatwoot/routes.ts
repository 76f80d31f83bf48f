/**
 * Chatwoot agent-bot route: `POST /webhooks/chatwoot/:token`, the agent bot's "Outgoing URL".
 *
 * Chatwoot before v4.13 sends agent-bot events with no credential at all, so the secret travels in the URL
 * (CHATWOOT_WEBHOOK_TOKEN, compared in constant time before a body byte is read). When the Chatwoot version
 * signs (v4.13+) and CHATWOOT_WEBHOOK_SECRET is set, the signature over the raw body is required too.
 * Order: token (401) → body (413/415) → signature (401) → JSON and envelope (400) → normalize → accept (503) → 200.
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import { safeEqual } from '../auth.js';
import { parseJsonBody } from '../batch.js';
import { WebhookAuthError } from '../errors.js';
import { cleanBatch } from '../identifiers.js';
import type { ResolvedWebhookOptions } from '../options.js';
import { acceptAndAcknowledge, normalizeOrReject, rejectUnauthenticated } from '../respond.js';
import { normalizeChatwootWebhook } from './normalize.js';
import { verifyChatwootSignature } from './signature.js';

export const CHATWOOT_WEBHOOK_PATH = '/webhooks/chatwoot/:token';

const EMPTY_BODY = Buffer.alloc(0);

export function mountChatwootRoutes(router: Router, options: ResolvedWebhookOptions): void {
  const chatwoot = options.chatwoot;
  if (!chatwoot) return;
  const { logger } = options;

  const refuse = (res: Response, error: WebhookAuthError) => rejectUnauthenticated(res, 'chatwoot', error, logger);
  const requireToken: RequestHandler = (req, res, next) => {
    const token = req.params.token;
    if (typeof token === 'string' && safeEqual(token, chatwoot.token)) {
      next();
      return;
    }
    refuse(res, new WebhookAuthError('WEBHOOK_SECRET_INVALID', 'The URL does not carry the Chatwoot webhook token (CHATWOOT_WEBHOOK_TOKEN): set the agent bot\'s Outgoing URL to /webhooks/chatwoot/<token>.'));
  };
  // Chatwoot (RestClient) sends plain JSON; no inflation keeps the limit about the wire bytes.
  const rawBody = express.raw({ type: () => true, limit: chatwoot.bodyLimit, inflate: false });

  router.post(CHATWOOT_WEBHOOK_PATH, requireToken, rawBody, async (req, res) => {
    const receivedAt = options.now();
    const raw = Buffer.isBuffer(req.body) ? req.body : EMPTY_BODY;
    if (chatwoot.signingSecret !== undefined) {
      const headers = { signature: req.get('x-chatwoot-signature'), timestamp: req.get('x-chatwoot-timestamp') };
      if (!verifyChatwootSignature(raw, headers, chatwoot.signingSecret, receivedAt)) {
        refuse(res, new WebhookAuthError(
          'WEBHOOK_SIGNATURE_INVALID',
          'X-Chatwoot-Signature is missing, stale (X-Chatwoot-Timestamp more than 5 minutes off) or does not match the body signed with CHATWOOT_WEBHOOK_SECRET (the agent bot\'s secret).',
        ));
        return;
      }
    }
    const batch = normalizeOrReject(res, 'chatwoot', logger, () => cleanBatch(normalizeChatwootWebhook(parseJsonBody(raw), { ignore: options.ignore, receivedAt })));
    if (batch) await acceptAndAcknowledge(res, batch, options);
  });
}
