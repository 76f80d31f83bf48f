import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';
import { T0 } from './context.js';

const message = (key: string, topic = 'whatsapp.alert') => ({ key, topic, payload: { key, text: 'ação 🙂' }, runId: 'run-1' });

export function outboxCases(ctx: ContractContext): void {
  describe('outbox', () => {
    it('a known key is not enqueued twice', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1'), message('k2')], T0);
      await storage.enqueueOutbox([{ ...message('k1'), payload: 'changed' }], T0 + 1);
      const rows = await storage.listOutbox({});
      expect(rows.map((r) => r.key)).toEqual(['k1', 'k2']);
      expect(rows[0]).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0, payload: { key: 'k1', text: 'ação 🙂' }, runId: 'run-1' });
    });

    it('claim, deliver, keep the result; a delivered row is never claimed again', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1')], T0);
      const [claimed] = await storage.claimOutbox('d1', T0 + 1_000, T0, 10);
      expect(claimed).toMatchObject({ key: 'k1', status: 'delivering', claimedBy: 'd1', claimExpiresAt: T0 + 1_000, attempts: 1 });
      expect(await storage.claimOutbox('d2', T0 + 1_000, T0 + 1, 10)).toEqual([]);
      await storage.markOutboxDelivered(claimed!.id, 'd1', { providerMessageId: 'wamid.1' }, T0 + 5);
      expect(await storage.getOutbox(claimed!.id)).toMatchObject({ status: 'delivered', result: { providerMessageId: 'wamid.1' }, deliveredAt: T0 + 5 });
      expect(await storage.claimOutbox('d2', T0 + 9_000, T0 + 5_000, 10)).toEqual([]);
      expect(await storage.retryOutbox(claimed!.id, T0 + 6)).toBe(false);
      expect(await storage.getOutbox(999_999)).toBeUndefined();
    });

    it("a heartbeat extends only its owner's claims on rows still being delivered", async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1'), message('k2')], T0);
      const [first, second] = await storage.claimOutbox('d1', T0 + 1_000, T0, 10);
      await storage.markOutboxDelivered(second!.id, 'd1', null, T0 + 1);
      await storage.extendOutboxClaims('d2', [first!.id], T0 + 50_000); // not d2's claim: no effect
      await storage.extendOutboxClaims('d1', [first!.id, second!.id], T0 + 10_000);
      expect(await storage.getOutbox(first!.id)).toMatchObject({ status: 'delivering', claimedBy: 'd1', claimExpiresAt: T0 + 10_000 });
      expect(await storage.getOutbox(second!.id)).toMatchObject({ status: 'delivered' });
      expect(await storage.claimOutbox('d2', T0 + 20_000, T0 + 9_999, 10)).toEqual([]);
      expect(await storage.claimOutbox('d2', T0 + 20_000, T0 + 10_001, 10)).toMatchObject([{ key: 'k1', claimedBy: 'd2' }]);
      await storage.extendOutboxClaims('d1', [], T0);
    });

    it('a failure backs off until its next attempt, then after the last one the row is dead until retried', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1')], T0);
      const [first] = await storage.claimOutbox('d1', T0 + 1_000, T0, 10);
      await storage.markOutboxFailed(first!.id, 'd1', 'HTTP 503', T0 + 2_000, false, T0 + 1);
      expect(await storage.getOutbox(first!.id)).toMatchObject({ status: 'pending', lastError: 'HTTP 503', nextAttemptAt: T0 + 2_000, attempts: 1 });
      expect(await storage.claimOutbox('d1', T0 + 3_000, T0 + 1_999, 10)).toEqual([]);
      const [second] = await storage.claimOutbox('d1', T0 + 3_000, T0 + 2_000, 10);
      expect(second?.attempts).toBe(2);
      await storage.markOutboxFailed(second!.id, 'd1', 'HTTP 400 invalid recipient', T0 + 9_000, true, T0 + 2_001);
      expect(await storage.getOutbox(first!.id)).toMatchObject({ status: 'dead', lastError: 'HTTP 400 invalid recipient' });
      expect(await storage.claimOutbox('d1', T0 + 99_000, T0 + 50_000, 10)).toEqual([]);
      expect(await storage.listOutbox({ status: 'dead' })).toHaveLength(1);
      expect([await storage.countOutbox('dead'), await storage.countOutbox('pending'), await storage.countOutbox('delivered')]).toEqual([1, 0, 0]);
      expect(await storage.retryOutbox(first!.id, T0 + 60_000)).toBe(true);
      expect(await storage.getOutbox(first!.id)).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: T0 + 60_000 });
      expect((await storage.claimOutbox('d3', T0 + 70_000, T0 + 60_000, 10)).map((r) => r.key)).toEqual(['k1']);
    });

    it('an expired claim can be taken over; the old claimer can no longer report a failure', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1')], T0);
      const [stale] = await storage.claimOutbox('crashed', T0 + 100, T0, 10);
      const [taken] = await storage.claimOutbox('d2', T0 + 1_000, T0 + 101, 10);
      expect(taken).toMatchObject({ id: stale!.id, claimedBy: 'd2', attempts: 2 });
      await storage.markOutboxFailed(stale!.id, 'crashed', 'late', T0 + 5_000, true, T0 + 102);
      expect(await storage.getOutbox(stale!.id)).toMatchObject({ status: 'delivering', claimedBy: 'd2' });
    });

    it('claims only the asked topics, oldest due first, up to the limit', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('late', 'a')], T0 + 10);
      await storage.enqueueOutbox([message('early', 'a'), message('other', 'b')], T0);
      expect((await storage.claimOutbox('d', T0 + 99, T0 + 20, 1, ['a'])).map((r) => r.key)).toEqual(['early']);
      expect((await storage.claimOutbox('d', T0 + 99, T0 + 20, 10, ['a'])).map((r) => r.key)).toEqual(['late']);
      expect((await storage.claimOutbox('d', T0 + 99, T0 + 20, 10)).map((r) => r.key)).toEqual(['other']);
    });

    it('two claimers at once never get the same row (two instances)', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      await storage.enqueueOutbox(Array.from({ length: 30 }, (_, i) => message(`k${i}`)), T0);
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? storage : other).claimOutbox(`d${i}`, T0 + 1_000, T0, 7)),
      );
      const ids = claims.flat().map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(30);
    });

    it('lists by status and run, in insertion order, with paging', async () => {
      const storage = ctx.storage();
      await storage.enqueueOutbox([message('k1'), { ...message('k2'), runId: 'run-2' }, message('k3')], T0);
      expect((await storage.listOutbox({ runId: 'run-1' })).map((r) => r.key)).toEqual(['k1', 'k3']);
      expect((await storage.listOutbox({ status: 'pending', limit: 1, offset: 1 })).map((r) => r.key)).toEqual(['k2']);
      expect(await storage.listOutbox({ status: 'delivered' })).toEqual([]);
    });
  });
}
