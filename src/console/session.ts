/**
 * Console sign-in: a random session id in an HttpOnly, SameSite=Strict cookie (Secure when PUBLIC_URL is
 * https or the request came over TLS), its SHA-256 digest in the sessions table with an expiry; a CSRF
 * token per session, required on every POST (form field `_csrf` or header `X-CSRF-Token`).
 */
import { randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Actor } from '../people/actor.js';
import { actorOf, digestSecret, secretsEqual, type PeopleStore, type User } from '../people/index.js';
import { parseCookies, serializeCookie } from './cookies.js';
import { chooseLocale, MESSAGES, type Locale, type Messages } from './i18n.js';

export const SESSION_COOKIE = 'zf_session';
export const LOGIN_CSRF_COOKIE = 'zf_login_csrf';

/** What every console page knows about the request. */
export interface PageContext {
  locale: Locale;
  t: Messages;
  cookies: Record<string, string>;
  user?: User;
  actor?: Actor;
  csrfToken?: string;
  /** Path and query of this page (the login's `next`). */
  here: string;
}

export const contextOf = (res: Response): PageContext => res.locals.console as PageContext;

export interface SessionOptions {
  people: PeopleStore;
  sessionHours: number;
  /** Secure cookies even over plain HTTP (PUBLIC_URL is https: TLS ends at a proxy in front of us). */
  alwaysSecure: boolean;
}

export const isSecure = (req: Request, options: SessionOptions): boolean => options.alwaysSecure || req.secure;

export function loadSession(options: SessionOptions): RequestHandler {
  return async (req, res, next) => {
    const cookies = parseCookies(req.headers.cookie);
    const locale = chooseLocale(req, cookies);
    const context: PageContext = { locale, t: MESSAGES[locale], cookies, here: req.originalUrl };
    res.locals.console = context;
    const sessionId = cookies[SESSION_COOKIE];
    if (sessionId) {
      const session = await options.people.sessionUser(digestSecret(sessionId));
      if (session) {
        context.user = session.user;
        context.actor = actorOf(session.user);
        context.csrfToken = session.csrfToken;
        // The cases side's routes read the actor here too.
        res.locals.actor = context.actor;
      }
    }
    next();
  };
}

export async function startSession(res: Response, req: Request, user: User, options: SessionOptions): Promise<void> {
  const sessionId = randomBytes(32).toString('base64url');
  const maxAgeSeconds = options.sessionHours * 3600;
  await options.people.purgeExpiredSessions();
  await options.people.createSession({
    idHash: digestSecret(sessionId), userId: user.id, csrfToken: randomBytes(24).toString('base64url'), expiresAt: Date.now() + maxAgeSeconds * 1000,
  });
  res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, sessionId, { secure: isSecure(req, options), maxAgeSeconds }));
}

export async function endSession(res: Response, req: Request, options: SessionOptions): Promise<void> {
  const sessionId = contextOf(res).cookies[SESSION_COOKIE];
  if (sessionId) await options.people.deleteSession(digestSecret(sessionId));
  res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { secure: isSecure(req, options), maxAgeSeconds: 0 }));
}

/** No session: pages go to the login (coming back here after), other requests get 401. */
export const requireUser: RequestHandler = (req, res, next) => {
  const context = contextOf(res);
  if (context.user) return next();
  if (req.method === 'GET' && !req.path.endsWith('/stream')) {
    res.redirect(303, `/console/login?next=${encodeURIComponent(req.originalUrl)}`);
    return;
  }
  res.status(401).type('text/plain').send('Sign in first: /console/login');
};

export function requireAdmin(forbidden: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => (contextOf(res).user?.role === 'admin' ? next() : forbidden(req, res));
}

/** Every POST after sign-in carries the session's CSRF token. */
export function requireCsrf(forbidden: (req: Request, res: Response) => void): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const expected = contextOf(res).csrfToken;
    const body = req.body as Record<string, unknown> | undefined;
    const presented = typeof body?._csrf === 'string' ? body._csrf : req.get('x-csrf-token');
    if (expected && presented && secretsEqual(presented, expected)) return next();
    forbidden(req, res);
  };
}
