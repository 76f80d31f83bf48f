/**
 * Meta WhatsApp Cloud API routes: the subscription handshake (GET) and deliveries (POST). Mounted at
 * `/webhooks/whatsapp` (the path the service documents) and `/webhooks/meta` (the fixtures' naming).
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import { isMetaSignatureHeader, safeEqual, verifyMetaSignature } from '../auth.js';
import { parseJsonBody } from '../batch.js';
import { WebhookAuthError } from '../errors.js';
import { cleanBatch } from '../identifiers.js';
import type { ResolvedWebhookOptions } from '../options.js';
import { acceptAndAcknowledge, normalizeOrReject, rejectUnauthenticated, sendError } from '../respond.js';
import { normalizeMetaWebhook } from './normalize.js';

export const META_WEBHOOK_PATHS = ['/webhooks/whatsapp', '/webhooks/meta'];

const EMPTY_BODY = Buffer.alloc(0);

export function mountMetaRoutes(router: Router, options: ResolvedWebhookOptions): void {
  const meta = options.meta;
  if (!meta) return;
  const { logger } = options;

  // Meta calls this once when the webhook URL is saved: echo the challenge only to the right token.
  router.get(META_WEBHOOK_PATHS, (req, res) => {
    const mode = req.query['hub.mode'];
    const token = req.query['hub.verify_token'];
    const challenge = req.query['hub.challenge'];
    if (mode === 'subscribe' && typeof token === 'string' && safeEqual(token, meta.verifyToken) && typeof challenge === 'string') {
      logger.info({ provider: 'meta' }, 'webhook subscription verified');
      res.status(200).type('text/plain').set('X-Content-Type-Options', 'nosniff').send(challenge);
      return;
    }
    logger.warn({ provider: 'meta', code: 'WEBHOOK_VERIFY_TOKEN_INVALID' }, 'webhook subscription refused');
    sendError(res, 403, { code: 'WEBHOOK_VERIFY_TOKEN_INVALID', message: 'hub.mode must be "subscribe" and hub.verify_token must match the configured verify token.' });
  });

  const refuseSignature = (res: Response) =>
    rejectUnauthenticated(
      res,
      'meta',
      new WebhookAuthError('WEBHOOK_SIGNATURE_INVALID', 'X-Hub-Signature-256 is missing or does not match the body; sign the raw body with the app secret (sha256=<hex>).'),
      logger,
    );
  // A request without a well-formed signature header is refused before its body is buffered.
  const requireSignatureHeader: RequestHandler = (req, res, next) => {
    if (isMetaSignatureHeader(req.get('x-hub-signature-256'))) next();
    else refuseSignature(res);
  };
  // Raw bytes for any content type: the signature covers exactly what was sent, so nothing may parse it
  // first. No inflation: the signature is over the wire bytes, and a compressed body could expand past the limit.
  const rawBody = express.raw({ type: () => true, limit: meta.bodyLimit, inflate: false });

  router.post(META_WEBHOOK_PATHS, requireSignatureHeader, options.unverifiedBodies.reserve(meta.bodyLimit), rawBody, async (req, res) => {
    const receivedAt = options.now();
    const raw = Buffer.isBuffer(req.body) ? req.body : EMPTY_BODY;
    if (!verifyMetaSignature(raw, req.get('x-hub-signature-256'), meta.appSecret)) {
      refuseSignature(res);
      return;
    }
    const batch = normalizeOrReject(res, 'meta', logger, () => cleanBatch(normalizeMetaWebhook(parseJsonBody(raw), { ignore: options.ignore, receivedAt })));
    if (batch) await acceptAndAcknowledge(res, batch, options);
  });
}
