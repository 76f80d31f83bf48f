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
import { buildCaseWork } from '../../service/case-work.js';
import { defaultTaxonomy } from '../../taxonomy/index.js';
import { DEFAULT_SLA_MINUTES } from '../../config.js';
import { tokenActor } from './actor.js';
import { mountAuditRoutes } from './audit.js';
import { mountConversationRoutes } from './conversations.js';
import { mountQueueRoutes } from './queue.js';
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

  const now = ports.now ?? Date.now;
  const taxonomy = ports.taxonomy ?? defaultTaxonomy();
  const actions = ports.actions ?? buildCaseWork({
    storage: ports.storage, serviceStore: ports.serviceStore, taxonomy, now,
    ...(ports.texts ? { texts: ports.texts } : {}),
    ...(ports.kickOutbox ? { kickOutbox: ports.kickOutbox } : {}),
  }).actions;

  // Authentication first: an unauthenticated request gets 401/403 before its body is even read. It leaves
  // who is calling in res.locals.actor (ADMIN_TOKEN, or a user's API token).
  const people = ports.people;
  router.use('/admin', ports.authenticate ?? requireAdminActor({
    ...(ports.adminToken !== undefined ? { token: ports.adminToken } : {}),
    ...(people ? { userByTokenDigest: (digest: string) => people.userByApiToken(digest) } : {}),
    logger,
  }));
  router.use('/admin', tokenActor());
  // Agents work conversations and the queue; runs, the outbox and the audit log are admins'.
  for (const path of ['/admin/runs', '/admin/outbox', '/admin/workflows']) router.use(path, requireAdminRole);
  router.use('/admin', express.json({ limit: ports.bodyLimit ?? '16kb', strict: true }));

  // Agents work conversations and the queue; runs, the outbox and the audit log are admins'.
  mountConversationRoutes(router, { storage: ports.storage, serviceStore: ports.serviceStore, taxonomy, actions });
  mountQueueRoutes(router, { serviceStore: ports.serviceStore, slaMinutes: ports.slaMinutes ?? DEFAULT_SLA_MINUTES, now });
  mountRunRoutes(router, { ...ports, actions });
  mountOutboxRoutes(router, { ...ports, actions });
  mountAuditRoutes(router, ports);

  router.use('/admin', jsonNotFound());
  router.use('/admin', jsonErrorHandler(logger));
  return router;
}
