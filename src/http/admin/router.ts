/**
 * `createAdminRouter`: every /admin route behind the bearer token, with JSON bodies validated by zod and
 * every error answered as `{ error, code }`.
 *
 * Mount it at the app's root (`app.use(createAdminRouter(ports))`): its paths start with /admin, and
 * authentication, body parsing and the JSON 404 apply to /admin only, so it can sit before or after the
 * other routers.
 */
import express, { Router } from 'express';
import { silentLogger } from '../../logging.js';
import { requireAdminActor, requireAdminRole } from '../auth.js';
import { HttpConfigError, jsonErrorHandler, jsonNotFound } from '../errors.js';
import { mountConversationRoutes } from './conversations.js';
import { mountOutboxRoutes } from './outbox.js';
import type { AdminPorts } from './ports.js';
import { mountRunRoutes } from './runs.js';

/** @throws HttpConfigError when the admin token is missing or too short, or a port is missing. */
export function createAdminRouter(ports: AdminPorts): Router {
  for (const port of ['storage', 'serviceStore', 'lifecycle', 'workflows'] as const) {
    if (!ports[port]) throw new HttpConfigError(`createAdminRouter needs the "${port}" port.`);
  }
  const logger = ports.logger ?? silentLogger;
  const router = Router();

  // Authentication first: an unauthenticated request gets 401/403 before its body is even read.
  const people = ports.people;
  router.use('/admin', requireAdminActor({
    ...(ports.adminToken !== undefined ? { token: ports.adminToken } : {}),
    ...(people ? { userByTokenDigest: (digest: string) => people.userByApiToken(digest) } : {}),
    logger,
  }));
  for (const path of ['/admin/runs', '/admin/outbox', '/admin/workflows']) router.use(path, requireAdminRole);
  router.use('/admin', express.json({ limit: ports.bodyLimit ?? '16kb', strict: true }));

  mountRunRoutes(router, ports);
  mountConversationRoutes(router, ports);
  mountOutboxRoutes(router, ports);

  router.use('/admin', jsonNotFound());
  router.use('/admin', jsonErrorHandler(logger));
  return router;
}
