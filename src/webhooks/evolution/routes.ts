/**
 * Evolution API route: `POST /webhooks/evolution[/:instance][/:event]`. The optional `:event` segment is
 * what Evolution appends with `webhook_by_events: true`. The shared secret is checked from the headers
 * before the body is even read.
 */
import express, { type RequestHandler, type Router } from 'express';
import { verifyEvolutionCredential } from '../auth.js';
import { parseJsonBody } from '../batch.js';
import { WebhookAuthError } from '../errors.js';
import { cleanBatch } from '../identifiers.js';
import type { ResolvedWebhookOptions } from '../options.js';
import { acceptAndAcknowledge, normalizeOrReject, rejectUnauthenticated } from '../respond.js';
import { normalizeEvolutionWebhook } from './normalize.js';

export const EVOLUTION_WEBHOOK_PATH = '/webhooks/evolution{/:instance}{/:event}';

const EMPTY_BODY = Buffer.alloc(0);

export function mountEvolutionRoutes(router: Router, options: ResolvedWebhookOptions): void {
  const evolution = options.evolution;
  if (!evolution) return;
  const { logger } = options;

  const authenticate: RequestHandler = (req, res, next) => {
    const headers = { apikey: req.headers.apikey, authorization: req.headers.authorization };
    if (verifyEvolutionCredential(headers, evolution.secret, options.now())) {
      next();
      return;
    }
    const error = new WebhookAuthError('WEBHOOK_SECRET_INVALID', 'The apikey header (or Authorization: Bearer) does not carry the Evolution webhook secret; set it in the instance webhook headers.');
    rejectUnauthenticated(res, 'evolution', error, logger);
  };
  // Evolution (axios) never compresses requests; refusing encodings keeps the limit about the wire bytes.
  const rawBody = express.raw({ type: () => true, limit: evolution.bodyLimit, inflate: false });

  router.post(EVOLUTION_WEBHOOK_PATH, authenticate, rawBody, async (req, res) => {
    const receivedAt = options.now();
    const raw = Buffer.isBuffer(req.body) ? req.body : EMPTY_BODY;
    const { instance, event } = req.params;
    const route = { instance: typeof instance === 'string' ? instance : undefined, event: typeof event === 'string' ? event : undefined };
    const batch = normalizeOrReject(res, 'evolution', logger, () =>
      cleanBatch(normalizeEvolutionWebhook(parseJsonBody(raw), route, { ignore: options.ignore, receivedAt })),
    );
    if (batch) await acceptAndAcknowledge(res, batch, options);
  });
}
