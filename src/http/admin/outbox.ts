/**
 * The outbox (side effects waiting, delivered or dead):
 *
 *   GET  /admin/outbox?status=dead&limit=&offset=   oldest first
 *   POST /admin/outbox/:id/retry                    202: the row is pending again, due now, attempts reset
 *
 * A retried row keeps its idempotency key, so a message the provider did accept before dying on our side
 * is not sent twice.
 */
import type { Router } from 'express';
import { HttpError } from '../errors.js';
import type { AgentActions } from '../../service/agent-actions.js';
import { actorOf } from './actor.js';
import type { AdminPorts } from './ports.js';
import { withIsoTimestamps } from './timestamps.js';
import { ListOutboxQuery, OutboxIdParam, parseInput } from './schemas.js';

export function mountOutboxRoutes(router: Router, ports: AdminPorts & { actions: AgentActions }): void {
  const { storage } = ports;
  const now = ports.now ?? Date.now;

  router.get('/admin/outbox', async (req, res) => {
    const query = parseInput(ListOutboxQuery, req.query, 'query');
    // Storage gives no count for the outbox: one row more than the page tells whether another page exists.
    const rows = await storage.listOutbox({ ...(query.status ? { status: query.status } : {}), limit: query.limit + 1, offset: query.offset });
    res.json(withIsoTimestamps({ items: rows.slice(0, query.limit), hasMore: rows.length > query.limit, limit: query.limit, offset: query.offset }));
  });

  router.post('/admin/outbox/:id/retry', async (req, res) => {
    const id = parseInput(OutboxIdParam, req.params.id, 'params');
    const row = await storage.getOutbox(id);
    if (!row) throw new HttpError(404, 'OUTBOX_NOT_FOUND', `Outbox row ${id} does not exist (delivered rows are purged by retention).`);
    if (row.status === 'delivered') throw new HttpError(409, 'OUTBOX_ALREADY_DELIVERED', `Outbox row ${id} was already delivered; retrying it would send it twice.`);
    if (!(await storage.retryOutbox(id, now()))) {
      throw new HttpError(409, 'OUTBOX_NOT_RETRYABLE', `Outbox row ${id} is ${row.status === 'delivering' ? 'being delivered right now' : row.status}; retry it once it is dead.`);
    }
    const conversationKey = (row.payload as { conversationKey?: unknown } | null)?.conversationKey;
    await ports.actions.recordAudit(actorOf(res), 'retry', {
      ...(typeof conversationKey === 'string' ? { conversationKey } : {}),
      detail: { outboxId: id, topic: row.topic },
    });
    try {
      ports.kickOutbox?.();
    } catch (error) {
      // The row is pending and the dispatcher's next poll takes it: a failed wake-up is not the caller's problem.
      (req.log ?? ports.logger)?.warn({ err: error, outboxId: id }, 'outbox wake-up after an admin retry failed');
    }
    res.status(202).json({ id, status: 'pending' });
  });
}
