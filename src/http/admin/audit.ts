/**
 * The audit log (admins):
 *
 *   GET /admin/audit?conversation=&action=&actor=&limit=&offset=   newest first, with the total
 *
 * Who (actor label and kind) did what (claim, release, reply, resolve, correction, rerun, retry, sign-in)
 * and when (ISO 8601), on which conversation and case. Never message text.
 */
import type { Router } from 'express';
import type { ServiceStore } from '../../conversations/store/types.js';
import { requireAdmin } from './actor.js';
import { AuditQuery, parseInput } from './schemas.js';

export function mountAuditRoutes(router: Router, deps: { serviceStore: ServiceStore }): void {
  router.get('/admin/audit', requireAdmin(), async (req, res) => {
    const query = parseInput(AuditQuery, req.query, 'query');
    const { entries, total } = await deps.serviceStore.cases.listAudit({
      ...(query.conversation ? { conversationKey: query.conversation } : {}),
      ...(query.action ? { action: query.action } : {}),
      ...(query.actor ? { actorLabel: query.actor } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    res.json({
      entries: entries.map((entry) => ({
        id: entry.id,
        at: new Date(entry.at).toISOString(),
        actor: { kind: entry.actorKind, id: entry.actorId ?? null, label: entry.actorLabel },
        action: entry.action,
        conversationKey: entry.conversationKey ?? null,
        caseId: entry.caseId ?? null,
        detail: entry.detail ?? {},
      })),
      total, limit: query.limit, offset: query.offset,
    });
  });
}
