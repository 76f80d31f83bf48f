/**
 * Request ids and the per-request logger.
 *
 * Every request gets `req.id`: the caller's `X-Request-Id` when it is a sane token (so a trace id from a
 * proxy or an admin's tool follows the request through our logs), else a new UUID. The id is echoed in the
 * response header, and `req.log` is a child logger carrying it.
 *
 * The access log line never holds a body, a query string (Evolution may pass its secret as `?token=`) or a
 * raw path: paths carry conversation keys, i.e. phone numbers, and URL-encoding (`%3A5511…`) defeats the
 * logger's number scrubbing, so the matched route pattern is logged instead.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logging.js';
import { scrubPersonalData } from '../privacy.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by `requestIdMiddleware`: the caller's valid X-Request-Id or a new UUID. */
    id?: string;
    /** Set by `requestIdMiddleware`: a child logger with `requestId`. */
    log?: Logger;
  }
}

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Letters, digits and `._:-` only, 1–128 chars: a trace id, not a place to smuggle log lines or HTML. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && VALID_REQUEST_ID.test(value) ? value : undefined;
}

export interface RequestIdOptions {
  logger: Logger;
  /** Make a new id (tests pass a deterministic one). @default crypto.randomUUID */
  generateId?: () => string;
  /**
   * Paths whose access log goes to debug instead of info: probes and scrapes every few seconds would
   * drown the log. @default ['/healthz', '/readyz', '/metrics']
   */
  quietPaths?: readonly string[];
  /**
   * Answers whose access log goes to debug: the webhook acks (POST /webhooks/…, 2xx). At a thousand a second
   * they would be the bulk of the log and a measurable share of the request thread's CPU; they are counted
   * in /metrics, and refusals and failures stay at info. @default none
   */
  quietAnswer?: (req: Request, status: number) => boolean;
}

const segments = (path: string) => path.split('/').filter(Boolean).length;

/**
 * What the access log calls the request: the route pattern when one matched, else the scrubbed path.
 * `req.baseUrl` is the mount path of whatever ran LAST: an error handler mounted at `/admin` that answered a
 * route's error (a 404 for an unknown conversation) leaves `/admin` there while `req.route` still holds the
 * full `/admin/conversations/:key`. The label is the candidate with as many segments as the path sent.
 */
function routeLabel(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern === 'string') {
    const sent = segments(req.originalUrl.split('?')[0] ?? '');
    const joined = `${req.baseUrl}${pattern}`;
    return segments(joined) === sent || segments(pattern) !== sent ? joined : pattern;
  }
  let path = req.originalUrl.split('?')[0] ?? '';
  try {
    path = decodeURIComponent(path);
  } catch {
    // A malformed escape is logged as sent (still scrubbed below).
  }
  return scrubPersonalData(path);
}

export function requestIdMiddleware(options: RequestIdOptions): RequestHandler {
  const generateId = options.generateId ?? randomUUID;
  const quietPaths = new Set(options.quietPaths ?? ['/healthz', '/readyz', '/metrics']);
  return (req, res, next) => {
    const id = acceptedRequestId(req.headers['x-request-id']) ?? generateId();
    req.id = id;
    // The child logger is made when something logs through it (most requests log only their access line).
    let log: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => (log ??= options.logger.child({ requestId: id })),
      set: (value: Logger) => void (log = value),
    });
    res.setHeader(REQUEST_ID_HEADER, id);

    const startedAt = process.hrtime.bigint();
    const quietPath = quietPaths.has(req.path);
    res.once('finish', () => {
      const quiet = quietPath || options.quietAnswer?.(req, res.statusCode) === true;
      if (quiet && !options.logger.isLevelEnabled('debug')) return;
      const entry = { method: req.method, route: routeLabel(req), status: res.statusCode, durationMs: Number(process.hrtime.bigint() - startedAt) / 1e6 };
      if (quiet) req.log!.debug(entry, 'request');
      else req.log!.info(entry, 'request');
    });
    next();
  };
}
