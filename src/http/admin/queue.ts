/**
 * The agents' queue:
 *
 *   GET /admin/queue?mine=true&limit=   conversations waiting for a person or held by one, soonest SLA deadline
 *                                       first (urgency, reason, protocol, name, waiting time, overdue flag)
 *
 * `mine=true`: only those the caller holds. The deadline is the wait start plus the urgency's SLA limit
 * (SLA_*_MINUTES), the same clock the re-alerts and the wait told to the customer use.
 */
import type { Router } from 'express';
import { claimantOf } from '../../service/agent-actions.js';
import type { ServiceStore, Urgency } from '../../conversations/store/types.js';
import { actorOf } from './actor.js';
import { buildQueueItem } from './case-view.js';
import { QueueQuery, parseInput } from './schemas.js';

export function mountQueueRoutes(router: Router, deps: { serviceStore: ServiceStore; slaMinutes: Readonly<Record<Urgency, number>>; now: () => number }): void {
  router.get('/admin/queue', async (req, res) => {
    const query = parseInput(QueueQuery, req.query, 'query');
    const now = deps.now();
    const [waiting, held] = await Promise.all([
      deps.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 5000 }),
      deps.serviceStore.listConversations({ handoffStatus: 'human', limit: 5000 }),
    ]);
    const me = claimantOf(actorOf(res)).id;
    const conversations = query.mine ? held.filter((c) => c.assignedAgent === me) : [...waiting, ...held];
    const items = conversations
      .map((c) => buildQueueItem(c, deps.slaMinutes, now))
      .sort((a, b) => a.deadlineMs - b.deadlineMs || a.key.localeCompare(b.key))
      .slice(0, query.limit)
      .map(({ deadlineMs: _deadline, ...item }) => item);
    res.json({ items, now: new Date(now).toISOString() });
  });
}
