/**
 * Bearer-token authentication for the admin API (`Authorization: Bearer <ADMIN_TOKEN>`).
 *
 * - No bearer token → 401 with `WWW-Authenticate: Bearer` (the caller must authenticate);
 *   a wrong token → 403 (authenticated attempt, refused). Nothing after this middleware runs in either case.
 * - Both sides are hashed with SHA-256 and the digests compared with `crypto.timingSafeEqual`: equal-length
 *   buffers whatever the caller sends, so neither the response time nor an early length check tells an
 *   attacker how close a guess was, or how long the token is.
 * - The token is never logged; failed attempts are logged at warn (with the request id) for alerting.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logging.js';
import type { Actor } from '../people/actor.js';
import type { User } from '../people/store.js';
import { HttpConfigError, sendJsonError } from './errors.js';

/** Matches config.ts: ADMIN_TOKEN must be at least this long. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time check of a presented token against the expected token's precomputed digest. */
export function tokenMatches(presented: string, expectedDigest: Buffer): boolean {
  return timingSafeEqual(sha256(presented), expectedDigest);
}

/** The token of an `Authorization: Bearer …` header, or undefined when there is none (or another scheme). */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1];
}

export interface BearerAuthOptions {
  /** The shared admin token (ADMIN_TOKEN). At least 16 characters. */
  token: string;
  /** Realm announced in `WWW-Authenticate`. @default 'zapflow-admin' */
  realm?: string;
  logger: Logger;
}

/** @throws HttpConfigError when the token is missing or shorter than 16 characters. */
export function requireBearerToken(options: BearerAuthOptions): RequestHandler {
  if (typeof options.token !== 'string' || options.token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new HttpConfigError(`The admin token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (set ADMIN_TOKEN).`);
  }
  const expectedDigest = sha256(options.token);
  const challenge = `Bearer realm="${options.realm ?? 'zapflow-admin'}"`;

  return (req, res, next) => {
    const presented = bearerTokenOf(req.headers.authorization);
    const log = req.log ?? options.logger;
    if (presented === undefined) {
      log.warn({ code: 'AUTH_REQUIRED' }, 'admin request without a bearer token');
      res.setHeader('WWW-Authenticate', challenge);
      sendJsonError(res, 401, { error: 'This route needs "Authorization: Bearer <ADMIN_TOKEN>".', code: 'AUTH_REQUIRED' });
      return;
    }
    if (!tokenMatches(presented, expectedDigest)) {
      log.warn({ code: 'AUTH_INVALID' }, 'admin request with a wrong bearer token');
      sendJsonError(res, 403, { error: 'The bearer token is not valid for this service. Check ADMIN_TOKEN.', code: 'AUTH_INVALID' });
      return;
    }
    next();
  };
}

export interface AdminActorAuthOptions {
  /** The shared ADMIN_TOKEN (automation), when configured. */
  token?: string;
  /** Per-user API tokens (`zapflow agents token create`): looked up by their SHA-256 digest. */
  userByTokenDigest?: (digestHex: string) => Promise<User | undefined>;
  realm?: string;
  logger: Logger;
}

/**
 * Like requireBearerToken, but also accepts per-user API tokens, and puts who is calling in
 * `res.locals.actor` (an Actor) for the routes and the audit log.
 */
export function requireAdminActor(options: AdminActorAuthOptions): RequestHandler {
  if (options.token !== undefined && options.token.length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new HttpConfigError(`The admin token must be at least ${MIN_ADMIN_TOKEN_LENGTH} characters (set ADMIN_TOKEN).`);
  }
  if (options.token === undefined && !options.userByTokenDigest) {
    throw new HttpConfigError('The admin API needs ADMIN_TOKEN or per-user API tokens.');
  }
  const expectedDigest = options.token === undefined ? undefined : sha256(options.token);
  const challenge = `Bearer realm="${options.realm ?? 'zapflow-admin'}"`;
  return async (req, res, next) => {
    const presented = bearerTokenOf(req.headers.authorization);
    const log = req.log ?? options.logger;
    if (presented === undefined) {
      log.warn({ code: 'AUTH_REQUIRED' }, 'admin request without a bearer token');
      res.setHeader('WWW-Authenticate', challenge);
      sendJsonError(res, 401, { error: 'This route needs "Authorization: Bearer <ADMIN_TOKEN or your API token>".', code: 'AUTH_REQUIRED' });
      return;
    }
    // Always compare with ADMIN_TOKEN first, so the time taken does not say which kind of token was sent.
    const isAdminToken = expectedDigest ? tokenMatches(presented, expectedDigest) : false;
    const user = isAdminToken ? undefined : await options.userByTokenDigest?.(sha256(presented).toString('hex'));
    if (!isAdminToken && !user) {
      log.warn({ code: 'AUTH_INVALID' }, 'admin request with a wrong bearer token');
      sendJsonError(res, 403, { error: 'The bearer token is not valid for this service. Check ADMIN_TOKEN or your API token.', code: 'AUTH_INVALID' });
      return;
    }
    const actor: Actor = user
      ? { kind: 'user', userId: user.id, username: user.username, displayName: user.displayName, role: user.role }
      : { kind: 'token', name: 'ADMIN_TOKEN' };
    res.locals.actor = actor;
    next();
  };
}

/** Runs, reruns and the outbox are for admins (ADMIN_TOKEN or an admin's token); agents get 403. */
export const requireAdminRole: RequestHandler = (_req, res, next) => {
  const actor = res.locals.actor as Actor | undefined;
  if (actor && (actor.kind === 'token' || actor.role === 'admin')) return next();
  sendJsonError(res, 403, { error: 'Only admins may use this route.', code: 'ADMIN_ONLY' });
};
