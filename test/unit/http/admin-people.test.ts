/**
 * The admin API for people: the actor comes from the authentication in front (`res.locals.actor`); agents
 * work conversations and the queue but get 403 on runs, the outbox and the audit log; the queue is ordered
 * by SLA deadline and flags what is overdue; bad input gets a 400 and changes nothing.
 */
import type { RequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/people/actor.js';
import { type AdminTestServer, NOW, inboxItem, startAdminServer } from './admin-server.js';

const ana: Actor = { kind: 'user', userId: 'u-ana', username: 'ana', displayName: 'Ana Souza', role: 'agent' };
const carla: Actor = { kind: 'user', userId: 'u-carla', username: 'carla', displayName: 'Carla', role: 'admin' };
const users: Record<string, Actor> = { 'token-ana-0123456789': ana, 'token-carla-0123456789': carla };

/** Stands in for the accounts' authentication: a user token → that user's actor. */
const userTokens: RequestHandler = (req, res, next) => {
  const actor = users[(req.headers.authorization ?? '').replace(/^Bearer /, '')];
  if (!actor) {
    res.status(401).json({ error: 'who are you?', code: 'AUTH_REQUIRED' });
    return;
  }
  res.locals.actor = actor;
  next();
};

const K_CRITICAL = 'meta:1:5511900000601';
const K_LOW = 'meta:1:5511900000602';
const K_MEDIUM_OLD = 'meta:1:5511900000603';
const K_HELD = 'meta:1:5511900000604';
const MIN = 60_000;

describe('admin API with user actors', () => {
  let server: AdminTestServer;
  beforeAll(async () => {
    server = await startAdminServer({ authenticate: userTokens, slaMinutes: { critical: 5, high: 15, medium: 60, low: 240 } });
    const keys = [K_CRITICAL, K_LOW, K_MEDIUM_OLD, K_HELD];
    await server.serviceStore.insertInbox(keys.map((key, i) => inboxItem(key, key.split(':')[2]!, `w.${i}`, 'preciso de ajuda', NOW - 100 * MIN)), NOW - 100 * MIN);
    const wait = async (key: string, urgency: 'critical' | 'low' | 'medium', since: number) => {
      await server.serviceStore.updateConversation(key, { handoffStatus: 'waiting_human', urgency, reason: 'explicit_request', protocolNumber: `2026120700000${keys.indexOf(key)}`, waitingSince: since }, since);
    };
    await wait(K_CRITICAL, 'critical', NOW - 2 * MIN); // deadline NOW+3
    await wait(K_LOW, 'low', NOW - 10 * MIN); // deadline NOW+230
    await wait(K_MEDIUM_OLD, 'medium', NOW - 90 * MIN); // deadline NOW-30: overdue
    await wait(K_HELD, 'medium', NOW - 5 * MIN); // deadline NOW+55
  });
  afterAll(async () => {
    await server.close();
  });

  const as = (actor: 'ana' | 'carla') => ({ token: `token-${actor}-0123456789` });

  it('agents get 403 on runs, outbox and audit; admins get them', async () => {
    for (const path of ['/admin/runs', '/admin/outbox', '/admin/audit']) {
      const refused = await server.call('GET', path, as('ana'));
      expect(refused.status, path).toBe(403);
      expect(refused.json.code).toBe('ADMIN_ONLY');
      expect((await server.call('GET', path, as('carla'))).status, path).toBe(200);
    }
    expect((await server.call('GET', '/admin/queue', { token: 'nope' })).status).toBe(401);
  });

  it('the queue lists waiting handoffs soonest SLA deadline first, flags the overdue, and "mine" shows what I hold', async () => {
    const claimed = await server.call('POST', `/admin/conversations/${encodeURIComponent(K_HELD)}/claim`, as('ana'));
    expect(claimed.status).toBe(200);
    expect(claimed.json.handoff).toMatchObject({ status: 'human', assignedAgent: 'u-ana', assignedAgentName: 'Ana Souza' });

    const queue = await server.call('GET', '/admin/queue', as('ana'));
    const items = queue.json.items as Array<{ key: string; overdue: boolean; urgency: string; waitingSeconds: number; slaDeadline: string; assignedAgent: unknown }>;
    expect(items.map((i) => i.key)).toEqual([K_MEDIUM_OLD, K_CRITICAL, K_HELD, K_LOW]);
    expect(items.map((i) => i.overdue)).toEqual([true, false, false, false]);
    expect(items[0]).toMatchObject({ urgency: 'medium', waitingSeconds: 90 * 60, slaDeadline: new Date(NOW - 30 * MIN).toISOString() });
    expect(items[2]!.assignedAgent).toEqual({ id: 'u-ana', name: 'Ana Souza' });

    const mine = await server.call('GET', '/admin/queue?mine=true', as('ana'));
    expect((mine.json.items as Array<{ key: string }>).map((i) => i.key)).toEqual([K_HELD]);
    expect(((await server.call('GET', '/admin/queue?mine=true', as('carla'))).json.items as unknown[])).toEqual([]);
    expect((await server.call('GET', '/admin/queue?mine=maybe', as('ana'))).status).toBe(400);
  });

  it('a second agent’s claim is 409 with the holder; an agent cannot reassign, an admin can', async () => {
    const refused = await server.call('POST', `/admin/conversations/${encodeURIComponent(K_HELD)}/claim`, { ...as('carla'), body: {} });
    expect(refused.status).toBe(409);
    expect(refused.json).toMatchObject({ code: 'CONVERSATION_CLAIMED', heldBy: { id: 'u-ana', name: 'Ana Souza' } });
    expect(String(refused.json.error)).toContain('Ana Souza');
    const agentReassign = await server.call('POST', `/admin/conversations/${encodeURIComponent(K_CRITICAL)}/claim`, { ...as('ana'), body: { reassign: true } });
    expect(agentReassign.status).toBe(403);
    const reassigned = await server.call('POST', `/admin/conversations/${encodeURIComponent(K_HELD)}/claim`, { ...as('carla'), body: { reassign: true } });
    expect(reassigned.status).toBe(200);
    expect(reassigned.json.handoff).toMatchObject({ assignedAgent: 'u-carla', assignedAgentName: 'Carla' });
    const audit = await server.call('GET', `/admin/audit?conversation=${encodeURIComponent(K_HELD)}`, as('carla'));
    expect((audit.json.entries as Array<{ action: string; actor: { label: string } }>).map((e) => `${e.actor.label}:${e.action}`)).toEqual(['carla:claim', 'ana:claim']);
  });

  it('bad input is a 400 that changes nothing', async () => {
    const key = encodeURIComponent(K_CRITICAL);
    for (const [path, body] of [
      [`/admin/conversations/${key}/reply`, {}],
      [`/admin/conversations/${key}/reply`, { text: 'x'.repeat(5000) }],
      [`/admin/conversations/${key}/typification`, { businessUnit: 'cards' }],
      [`/admin/conversations/${key}/typification`, { businessUnit: 'cards', product: 'x', motive: 'y', submotive: 'z' }],
    ] as const) {
      const response = await server.call('POST', path, { ...as('ana'), body });
      expect(response.status, `${path} ${JSON.stringify(body).slice(0, 40)}`).toBe(400);
    }
    expect((await server.serviceStore.getConversation(K_CRITICAL))?.handoffStatus).toBe('waiting_human');
    expect((await server.call('GET', '/admin/conversations?limit=0', as('ana'))).status).toBe(400);
    expect((await server.call('POST', `/admin/conversations/${encodeURIComponent('meta:1:0000')}/reply`, { ...as('ana'), body: { text: 'oi' } })).status).toBe(404);
  });
});
