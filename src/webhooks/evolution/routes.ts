/**
 * Evolution API route: `POST /webhooks/evolution[/:instance][/:event]`. The optional `:event` segment is
 * what Evolution appends with `webhook_by_events: true`. The shared secret is checked from the headers
 * before the body is read when a header carries it; otherwise from the body's `apikey` field, which is
 * where Evolution's default webhook setup puts it (and Evolution does not retry a 401: refusing it lost
 * those messages).
 */
import express, { type RequestHandler, type Response, type Router } from 'express';
import { verifyEvolutionBodyApikey, verifyEvolutionCredential } from '../auth.js';
import { parseJsonBody } from '../batch.js';
import { MalformedWebhookError, WebhookAuthError } from '../errors.js';
import type { ResolvedWebhookOptions } from '../options.js';
import { acceptAndAcknowledge, normalizeOrReject, rejectMalformed, rejectUnauthenticated } from '../respond.js';
import { normalizeEvolutionWebhook } from './normalize.js';

export const EVOLUTION_WEBHOOK_PATH = '/webhooks/evolution{/:instance}{/:event}';

const EMPTY_BODY = Buffer.alloc(0);

export function mountEvolutionRoutes(router: Router, options: ResolvedWebhookOptions): void {
  const evolution = options.evolution;
  if (!evolution) return;
  const { logger } = options;

  const refuse = (res: Response) => {
    const error = new WebhookAuthError(
      'WEBHOOK_SECRET_INVALID',
      'Neither the apikey header (or Authorization: Bearer) nor the body\'s "apikey" field carries the Evolution webhook secret (EVOLUTION_WEBHOOK_SECRET).',
    );
    rejectUnauthenticated(res, 'evolution', error, logger);
  };
  const authenticate: RequestHandler = (req, res, next) => {
    const headers = { apikey: req.headers.apikey, authorization: req.headers.authorization };
    res.locals.evolutionHeaderAuthenticated = verifyEvolutionCredential(headers, evolution.secret, options.now());
    // A wrong header is a wrong credential: refused before the body is read. No header: look in the body —
    // unless it is compressed (Evolution never compresses, and the body is not inflated here).
    const encoded = (req.get('content-encoding') ?? 'identity').trim().toLowerCase() !== 'identity';
    if (!res.locals.evolutionHeaderAuthenticated && (headers.apikey !== undefined || headers.authorization !== undefined || encoded)) {
      refuse(res);
      return;
    }
    next();
  };
  // Evolution (axios) never compresses requests; refusing encodings keeps the limit about the wire bytes.
  const rawBody = express.raw({ type: () => true, limit: evolution.bodyLimit, inflate: false });

  router.post(EVOLUTION_WEBHOOK_PATH, authenticate, rawBody, async (req, res) => {
    const receivedAt = options.now();
    const raw = Buffer.isBuffer(req.body) ? req.body : EMPTY_BODY;
    const { instance, event } = req.params;
    const route = { instance: typeof instance === 'string' ? instance : undefined, event: typeof event === 'string' ? event : undefined };
    const headerAuthenticated = res.locals.evolutionHeaderAuthenticated === true;
    let body: unknown;
    try {
      body = parseJsonBody(raw);
    } catch (error) {
      // Unreadable JSON cannot prove who sent it: without a header credential, that is a 401, not a 400.
      if (!headerAuthenticated || !(error instanceof MalformedWebhookError)) return refuse(res);
      return rejectMalformed(res, 'evolution', error, logger);
    }
    if (!headerAuthenticated && !verifyEvolutionBodyApikey(body, evolution.secret)) return refuse(res);
    const batch = normalizeOrReject(res, 'evolution', logger, () => normalizeEvolutionWebhook(body, route, { ignore: options.ignore, receivedAt }));
    if (batch) await acceptAndAcknowledge(res, batch, options);
  });
}
