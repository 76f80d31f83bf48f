/**
 * HTTP errors and the JSON error answer every zapflow route gives: `{ error, code }` (plus details such as
 * zod `issues`, `validSteps` or `knownWorkflows` when they help the caller fix the request).
 *
 * Domain errors (engine, conversations) are not HTTP-aware; they carry a stable `code`, and the table below
 * maps each code to its status, so a new route never re-decides that "run not found" is a 404.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { ZodError } from 'zod';
import type { Logger } from '../logging.js';
import { scrubPersonalData } from '../privacy.js';

/** An error that already knows its HTTP answer. `details` are merged into the JSON body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ValidationIssue {
  /** Dotted path of the offending field (`limit`, `agent`); empty for the whole body or query. */
  path: string;
  message: string;
}

/** The query string, route parameters or body did not match the route's schema (400, every issue listed). */
export class RequestValidationError extends HttpError {
  constructor(where: 'query' | 'body' | 'params', readonly issues: ValidationIssue[], options?: { cause?: unknown }) {
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ');
    super(400, 'INVALID_REQUEST', `Invalid request ${where}: ${summary}. Fix the listed fields and send it again.`, { issues }, options);
  }

  static fromZod(where: 'query' | 'body' | 'params', error: ZodError): RequestValidationError {
    const issues = error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    return new RequestValidationError(where, issues, { cause: error });
  }
}

/** A factory (admin router, health router) was given options it cannot work with. Thrown at construction. */
export class HttpConfigError extends Error {
  readonly code = 'HTTP_CONFIG_INVALID';
  constructor(message: string) {
    super(`${message} Fix the configuration and start again.`);
    this.name = 'HttpConfigError';
  }
}

/**
 * Status for the stable codes of domain errors thrown below the HTTP layer. Codes not listed are a bug or
 * an outage on our side: 500, with a generic message (the details go to the log, not to the caller).
 */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  RUN_NOT_FOUND: 404,
  CONVERSATION_NOT_FOUND: 404,
  WORKFLOW_NOT_REGISTERED: 404,
  UNKNOWN_STEP: 400,
  INVALID_OPTION: 400,
  INVALID_HANDOFF_TRANSITION: 409,
  CONVERSATION_CLAIMED: 409,
  NO_OPEN_CASE: 409,
  CASE_NOT_FOUND: 404,
  INVALID_TYPIFICATION: 400,
  FORBIDDEN_ACTION: 403,
  RUN_ACTIVE: 409,
  RUN_NOT_PAUSED: 409,
  WORKFLOW_MISMATCH: 409,
  STALE_SESSION_STATE: 409,
  STORAGE_UNAVAILABLE: 503,
};

/** Fields of a domain error worth showing the caller (e.g. UnknownStepError's `validSteps`). */
const DETAIL_FIELDS = ['validSteps', 'known', 'heldBy'] as const;

export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function sendJsonError(res: Response, status: number, body: { error: string; code: string } & Record<string, unknown>): void {
  res.status(status).json(body);
}

/** Errors thrown by express's body parser: they carry `type` and `status`. */
function bodyParserAnswer(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { type, status } = error as { type?: unknown; status?: unknown };
  if (type === 'entity.parse.failed') return new HttpError(400, 'INVALID_JSON', 'The request body is not valid JSON. Send a JSON object with Content-Type: application/json.');
  if (type === 'entity.too.large') return new HttpError(413, 'BODY_TOO_LARGE', 'The request body is larger than this route accepts. Send a smaller body.');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new HttpError(415, 'UNSUPPORTED_ENCODING', 'The request body encoding is not supported. Send UTF-8 JSON without Content-Encoding.');
  if (typeof status === 'number' && status >= 400 && status < 500 && typeof type === 'string') {
    return new HttpError(status, 'BAD_REQUEST', 'The request body could not be read. Send a UTF-8 JSON object.');
  }
  return undefined;
}

/** Turns any thrown value into the HTTP answer it deserves. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const parsed = bodyParserAnswer(error);
  if (parsed) return parsed;
  // The router decodes path parameters before any handler runs: `%E0%A4%A` is the client's mistake, not ours.
  if (error instanceof URIError) return new HttpError(400, 'BAD_PATH', 'The request path has a malformed percent-escape (e.g. %E0%A4%A); encode it with encodeURIComponent.');
  const code = codeOf(error);
  const status = code === undefined ? undefined : STATUS_BY_CODE[code];
  if (code !== undefined && status !== undefined && error instanceof Error) {
    const details: Record<string, unknown> = {};
    for (const field of DETAIL_FIELDS) {
      const value = (error as unknown as Record<string, unknown>)[field];
      if (value !== undefined) details[field] = value;
    }
    return new HttpError(status, code, error.message, details, { cause: error });
  }
  return new HttpError(500, 'INTERNAL', 'Something failed on our side; the error was logged. Try again, and report it with the X-Request-Id if it persists.', {}, { cause: error });
}

/**
 * The last middleware of a router: every error becomes `{ error, code, ...details }`. 5xx are logged at
 * error level with the request's logger (the message scrubbed: storage errors can quote customer data).
 */
export function jsonErrorHandler(fallbackLogger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const answer = toHttpError(error);
    const logger = req.log ?? fallbackLogger;
    if (answer.status >= 500) {
      const cause = answer.cause ?? error;
      logger.error({ code: codeOf(cause) ?? answer.code, err: cause instanceof Error ? cause : new Error(scrubPersonalData(String(cause))) }, 'request failed');
    } else {
      logger.debug({ code: answer.code, status: answer.status }, 'request refused');
    }
    sendJsonError(res, answer.status, { ...answer.details, error: answer.message, code: answer.code });
  };
}

/** For paths under a router's prefix that no route matched: JSON, not express's HTML page. */
export function jsonNotFound(): RequestHandler {
  return (req, res) => {
    sendJsonError(res, 404, { error: `No route ${req.method} ${req.baseUrl}${req.path}. See the HTTP API section of the README.`, code: 'ROUTE_NOT_FOUND' });
  };
}
