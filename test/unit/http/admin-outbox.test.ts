import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTestServer, NOW, startAdminServer } from './admin-server.js';

describe('admin outbox', () => {
  let server: AdminTestServer;
  /** ids by what happened to them */
  const ids = { dead: [] as number[], delivered: 0, delivering: 0, pending: 0 };

  beforeAll(async () => {
    server = await startAdminServer();
    const { storage } = server;
    const rows = Array.from({ length: 8 }, (_, i) => ({ key: `run-${i}/notify_agents`, topic: 'whatsapp.alert', payload: { protocolNumber: `P${i}` }, runId: `run-${i}` }));
    await storage.enqueueOutbox(rows, NOW - 10_000);
    // Claim 7 of the 8: 5 die, 1 is delivered, 1 stays in delivery; the last stays pending.
    const claimed = await storage.claimOutbox('worker-1', NOW + 60_000, NOW - 9000, 7);
    for (const row of claimed.slice(0, 5)) {
      await storage.markOutboxFailed(row.id, 'worker-1', 'Evolution answered 500', NOW, true, NOW - 8000);
      ids.dead.push(row.id);
    }
    ids.delivered = claimed[5]!.id;
    await storage.markOutboxDelivered(ids.delivered, 'worker-1', { messageId: 'm1' }, NOW - 8000);
    ids.delivering = claimed[6]!.id;
    ids.pending = (await storage.listOutbox({ status: 'pending' }))[0]!.id;
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists dead rows, paged, saying whether there is more', async () => {
    const first = await server.call('GET', '/admin/outbox?status=dead&limit=3');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ hasMore: true, limit: 3, offset: 0 });
    const items = first.json.items as Array<{ id: number; status: string; lastError: string; attempts: number }>;
    expect(items.map((i) => i.id)).toEqual(ids.dead.slice(0, 3));
    expect(items[0]).toMatchObject({ status: 'dead', lastError: 'Evolution answered 500', attempts: 1 });

    const second = await server.call('GET', '/admin/outbox?status=dead&limit=3&offset=3');
    expect((second.json.items as Array<{ id: number }>).map((i) => i.id)).toEqual(ids.dead.slice(3));
    expect(second.json.hasMore).toBe(false);

    const all = await server.call('GET', '/admin/outbox');
    expect((all.json.items as unknown[]).length).toBe(8);
  });

  it('refuses an unknown status', async () => {
    const response = await server.call('GET', '/admin/outbox?status=failed');
    expect(response).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST', issues: [{ path: 'status' }] } });
  });

  it('retries a dead row: 202, pending again with attempts reset, and the dispatcher woken', async () => {
    const id = ids.dead[0]!;
    const response = await server.call('POST', `/admin/outbox/${id}/retry`);
    expect(response).toMatchObject({ status: 202, json: { id, status: 'pending' } });
    expect(await server.storage.getOutbox(id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: NOW });
    expect(server.kicks()).toBe(1);
    const dead = await server.call('GET', '/admin/outbox?status=dead');
    expect((dead.json.items as Array<{ id: number }>).map((i) => i.id)).not.toContain(id);
  });

  it('refuses to retry a delivered row or one being delivered (409), and unknown ids (404/400)', async () => {
    const kicks = server.kicks();
    expect(await server.call('POST', `/admin/outbox/${ids.delivered}/retry`)).toMatchObject({ status: 409, json: { code: 'OUTBOX_ALREADY_DELIVERED' } });
    expect(await server.call('POST', `/admin/outbox/${ids.delivering}/retry`)).toMatchObject({ status: 409, json: { code: 'OUTBOX_NOT_RETRYABLE' } });
    expect(await server.call('POST', '/admin/outbox/9999/retry')).toMatchObject({ status: 404, json: { code: 'OUTBOX_NOT_FOUND' } });
    for (const bad of ['abc', '0', '1.5']) {
      expect((await server.call('POST', `/admin/outbox/${bad}/retry`)).status, bad).toBe(400);
    }
    expect(server.kicks()).toBe(kicks);
    expect((await server.storage.getOutbox(ids.delivered))?.status).toBe('delivered');
  });

  it('still answers 202 when waking the dispatcher throws (the next poll takes the row)', async () => {
    const other = await startAdminServer({ kickOutbox: () => { throw new Error('dispatcher stopped'); } });
    try {
      await other.storage.enqueueOutbox([{ key: 'k1', topic: 'whatsapp.reply', payload: {} }], NOW);
      const [row] = await other.storage.claimOutbox('w', NOW + 1000, NOW, 1);
      await other.storage.markOutboxFailed(row!.id, 'w', 'boom', NOW, true, NOW);
      expect((await other.call('POST', `/admin/outbox/${row!.id}/retry`)).status).toBe(202);
      expect((await other.storage.getOutbox(row!.id))?.status).toBe('pending');
    } finally {
      await other.close();
    }
  });
});
