/**
 * Who is calling the admin API: `res.locals.actor` (src/people/actor.ts), set by the authentication in
 * front of the routes. The shared ADMIN_TOKEN is the `{ kind: 'token', name: 'ADMIN_TOKEN' }` actor; the
 * accounts (console sessions, per-user API tokens) set a `user` actor instead. Routes read it with
 * `actorOf(res)` and gate admin-only routes with `requireAdmin`.
 */
import type { RequestHandler, Response } from 'express';
import { isAdmin } from '../../service/agent-actions.js';
import type { Actor } from '../../people/actor.js';
import { HttpError, sendJsonError } from '../errors.js';

export const ADMIN_TOKEN_ACTOR: Actor = { kind: 'token', name: 'ADMIN_TOKEN' };

/** After the ADMIN_TOKEN bearer check passed: the caller is the token automation (unless already known). */
export function tokenActor(): RequestHandler {
  return (_req, res, next) => {
    res.locals.actor ??= ADMIN_TOKEN_ACTOR;
    next();
  };
}

export function actorOf(res: Response): Actor {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) throw new HttpError(401, 'AUTH_REQUIRED', 'This route needs an authenticated caller (ADMIN_TOKEN, a user API token or a console session).');
  return actor;
}

/** Runs, reruns, the outbox and the audit log are admins' (agents work cases). */
export function requireAdmin(): RequestHandler {
  return (_req, res, next) => {
    const actor = res.locals.actor as Actor | undefined;
    if (actor && isAdmin(actor)) {
      next();
      return;
    }
    sendJsonError(res, 403, { error: 'Only admins can use this route.', code: 'ADMIN_ONLY' });
  };
}
