/**
 * A ceiling on the bytes of webhook bodies buffered at once before anyone knows they are authentic. Meta's
 * signature covers the body, so up to the route's limit (3 MiB) is read before it can be checked: without a
 * ceiling, many slow bodies with a made-up signature pin that much memory each for as long as the request
 * timeout lets them. Each request reserves its declared length (or the route's limit when it declares none)
 * until its answer is sent or its socket closes; a request that would pass the ceiling is answered 503 with
 * `Connection: close` at once, before a byte of its body is read (a real provider delivers it again).
 */
import type { RequestHandler } from 'express';
import type { WebhookLogger } from './options.js';
import { sendError } from './respond.js';

export interface BodyBudget {
  /** Middleware to put before the body is read. */
  reserve(routeLimit: number): RequestHandler;
  /** Bytes reserved now (tests, metrics). */
  readonly reserved: number;
}

export function createBodyBudget(maxBytes: number, logger: WebhookLogger): BodyBudget {
  let reserved = 0;
  return {
    get reserved() {
      return reserved;
    },
    reserve(routeLimit) {
      return (req, res, next) => {
        const declared = Number(req.get('content-length'));
        // Over the route limit is the body parser's 413; count at most the limit.
        const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, routeLimit) : routeLimit;
        if (reserved + bytes > maxBytes) {
          logger.warn({ path: req.path, code: 'WEBHOOK_BODIES_BUSY', reservedBytes: reserved }, 'webhook refused: too many unverified bodies in flight');
          res.set({ Connection: 'close', 'Retry-After': '5' });
          sendError(res, 503, { code: 'WEBHOOK_BODIES_BUSY', message: 'Too many webhook bodies are being received at once; deliver this again in a few seconds.' });
          return;
        }
        reserved += bytes;
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          reserved -= bytes;
        };
        res.once('finish', release);
        res.once('close', release);
        next();
      };
    },
  };
}
