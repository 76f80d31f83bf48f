/**
 * The answers a receiver gives, in one place so both providers answer alike: 2xx only after `accept`
 * stored the batch; 4xx for anything wrong with the request (never retried into a 5xx loop); 503 only when
 * our own storage failed, so the provider delivers again. Error bodies are `{ error, code }`.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { MalformedWebhookError, WebhookAcceptError, type WebhookError } from './errors.js';
import type { ResolvedWebhookOptions, WebhookLogger } from './options.js';
import type { AcceptedBatch, Provider } from './types.js';

export function sendError(res: Response, status: number, error: { code: string; message: string }): void {
  res.status(status).json({ error: error.message, code: error.code });
}

export function rejectUnauthenticated(res: Response, provider: Provider, error: WebhookError, logger: WebhookLogger): void {
  logger.warn({ provider, code: error.code }, 'webhook rejected: not authenticated');
  sendError(res, 401, error);
}

export function rejectMalformed(res: Response, provider: Provider, error: MalformedWebhookError, logger: WebhookLogger): void {
  // `path` names schema fields and indexes only, never payload content.
  logger.info({ provider, code: error.code, path: error.path }, 'webhook rejected: malformed body');
  sendError(res, 400, error);
}

/** Hands the batch to the service, then acknowledges. */
export async function acceptAndAcknowledge(res: Response, batch: AcceptedBatch, options: ResolvedWebhookOptions): Promise<void> {
  try {
    await options.accept(batch);
  } catch (cause) {
    const error = new WebhookAcceptError({ cause });
    const reason = cause instanceof Error ? { causeName: cause.name, causeMessage: cause.message } : {};
    options.logger.error({ provider: batch.provider, code: error.code, ...reason }, 'webhook not stored; answered 503 so the provider delivers it again');
    res.set('Retry-After', '5');
    sendError(res, 503, error);
    return;
  }
  options.logger.debug(
    { provider: batch.provider, inbound: batch.messages.length, notices: batch.textOnlyNotices.length, statuses: batch.statusUpdates.length, ignored: batch.ignored.length },
    'webhook accepted',
  );
  res.status(200).json({ ok: true, inbound: batch.messages.length });
}

/** Runs a normalizer; a malformed body becomes a 400 answer (returns undefined), anything else propagates. */
export function normalizeOrReject<T>(res: Response, provider: Provider, logger: WebhookLogger, normalize: () => T): T | undefined {
  try {
    return normalize();
  } catch (error) {
    if (!(error instanceof MalformedWebhookError)) throw error;
    rejectMalformed(res, provider, error, logger);
    return undefined;
  }
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The request path as logs may show it: Chatwoot's URL carries its webhook secret, which never goes to a log. */
function loggablePath(path: string): string {
  return path.replace(/^\/webhooks\/chatwoot\/[^/]+/, '/webhooks/chatwoot/:token');
}

/**
 * Errors raised before our handlers run (body reading: too large, aborted, bad encoding) keep their 4xx.
 * Anything else is a bug in the receiver: logged, and answered 500 so it is seen rather than hidden.
 */
export function webhookErrorHandler(logger: WebhookLogger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = statusOf(error);
    if (status === 413) {
      logger.warn({ path: loggablePath(req.path), code: 'WEBHOOK_BODY_TOO_LARGE' }, 'webhook rejected: body over the limit');
      sendError(res, 413, { code: 'WEBHOOK_BODY_TOO_LARGE', message: 'The body is larger than this route accepts.' });
      return;
    }
    if (status !== undefined && status >= 400 && status < 500) {
      logger.info({ path: loggablePath(req.path), code: 'WEBHOOK_BODY_UNREADABLE', status }, 'webhook rejected: body could not be read');
      sendError(res, status, { code: 'WEBHOOK_BODY_UNREADABLE', message: 'The body could not be read (aborted, or an unsupported encoding).' });
      return;
    }
    const detail = error instanceof Error ? { errorName: error.name, errorMessage: error.message } : {};
    logger.error({ path: loggablePath(req.path), code: 'WEBHOOK_INTERNAL', ...detail }, 'webhook receiver failed unexpectedly');
    sendError(res, 500, { code: 'WEBHOOK_INTERNAL', message: 'The webhook receiver failed unexpectedly; this is a bug, please report it.' });
  };
}
