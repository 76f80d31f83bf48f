import { describe, expect, it } from 'vitest';
import { StaleSessionStateError } from '../../../src/engine/errors.js';
import type { ContractContext } from './context.js';
import { T0 } from './context.js';

/** Values that break naive JSON storage: key order, unicode, NUL, deep nesting, null vs absent, big numbers. */
export const TRICKY_JSON = {
  zeta: 1,
  alpha: [1, 'two', null, { nested: { deeper: [true, false] } }],
  'chave com espaço': 'ação — 🙂 名前',
  nul: 'a\u0000b',
  quote: 'he said "oi"\n\ttab \\ slash',
  explicitNull: null,
  float: 0.1 + 0.2,
  big: 9_007_199_254_740_991,
  negative: -42.5e-10,
  empty: { list: [], object: {} },
};

export function sessionCases(ctx: ContractContext): void {
  describe('sessions', () => {
    it('a new session starts at version 1 and each write increments it', async () => {
      const storage = ctx.storage();
      expect(await storage.getSession('conv-1')).toBeUndefined();
      expect(await storage.saveSession('conv-1', { step: 1 }, 0, T0)).toBe(1);
      expect(await storage.saveSession('conv-1', { step: 2 }, 1, T0 + 1)).toBe(2);
      expect(await storage.getSession('conv-1')).toEqual({ sessionId: 'conv-1', state: { step: 2 }, version: 2, updatedAt: T0 + 1 });
    });

    it('refuses a stale write and keeps the newer state', async () => {
      const storage = ctx.storage();
      await storage.saveSession('conv-1', { owner: 'first' }, 0, T0);
      await storage.saveSession('conv-1', { owner: 'second' }, 1, T0);
      const stale = storage.saveSession('conv-1', { owner: 'late writer' }, 1, T0);
      await expect(stale).rejects.toBeInstanceOf(StaleSessionStateError);
      await expect(stale).rejects.toMatchObject({ code: 'STALE_SESSION_STATE', sessionId: 'conv-1', expectedVersion: 1, actualVersion: 2 });
      expect((await storage.getSession('conv-1'))?.state).toEqual({ owner: 'second' });
    });

    it('refuses creating a session that exists, and updating one that does not', async () => {
      const storage = ctx.storage();
      await storage.saveSession('conv-1', {}, 0, T0);
      await expect(storage.saveSession('conv-1', {}, 0, T0)).rejects.toMatchObject({ code: 'STALE_SESSION_STATE', actualVersion: 1 });
      await expect(storage.saveSession('conv-2', {}, 3, T0)).rejects.toMatchObject({ code: 'STALE_SESSION_STATE', actualVersion: undefined });
      expect(await storage.getSession('conv-2')).toBeUndefined();
    });

    it('of two writers racing on the same version exactly one wins (also across instances)', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      await storage.saveSession('conv-1', { n: 0 }, 0, T0);
      const results = await Promise.allSettled([
        storage.saveSession('conv-1', { n: 'a' }, 1, T0),
        other.saveSession('conv-1', { n: 'b' }, 1, T0),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.status === 'rejected' && rejected.reason).toBeInstanceOf(StaleSessionStateError);
      expect((await storage.getSession('conv-1'))?.version).toBe(2);
    });

    it('gives back exactly the JSON it was given (key order, unicode, NUL, null)', async () => {
      const storage = ctx.storage();
      await storage.saveSession('conv-json', TRICKY_JSON, 0, T0);
      const state = (await storage.getSession('conv-json'))?.state;
      expect(state).toEqual(TRICKY_JSON);
      expect(JSON.stringify(state)).toBe(JSON.stringify(TRICKY_JSON));
    });

    it('returns copies: changing a returned or saved object does not change what is stored', async () => {
      const storage = ctx.storage();
      const state = { list: [1] };
      await storage.saveSession('conv-1', state, 0, T0);
      state.list.push(2);
      const loaded = await storage.getSession('conv-1');
      (loaded?.state.list as number[]).push(3);
      expect((await storage.getSession('conv-1'))?.state).toEqual({ list: [1] });
    });
  });
}
