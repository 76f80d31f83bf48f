import { describe, expect, it } from 'vitest';
import type { ContractContext } from './context.js';

export function sequenceCases(ctx: ContractContext): void {
  describe('sequences (protocol numbers)', () => {
    it('counts 1, 2, 3 per sequence, independently', async () => {
      const storage = ctx.storage();
      expect(await storage.nextSequenceValue('protocol')).toBe(1);
      expect(await storage.nextSequenceValue('protocol')).toBe(2);
      expect(await storage.nextSequenceValue('ticket')).toBe(1);
      expect(await storage.nextSequenceValue('protocol')).toBe(3);
    });

    it('the same idempotency key always gets the same number (a resumed step never takes a second one)', async () => {
      const storage = ctx.storage();
      const first = await storage.nextSequenceValue('protocol', 'run-1/handoff');
      await storage.nextSequenceValue('protocol');
      expect(await storage.nextSequenceValue('protocol', 'run-1/handoff')).toBe(first);
      expect(await storage.nextSequenceValue('protocol', 'run-2/handoff')).toBe(3);
      expect(await storage.nextSequenceValue('ticket', 'run-1/handoff')).toBe(1);
    });

    it('200 concurrent calls from two instances give 200 distinct numbers, 1 to 200', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      const values = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? storage : other).nextSequenceValue('protocol')));
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    });

    it('concurrent calls with one idempotency key all get the same number', async () => {
      const storage = ctx.storage();
      const other = await ctx.db().open();
      const values = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? storage : other).nextSequenceValue('protocol', 'run-9/handoff')));
      expect(new Set(values)).toEqual(new Set([1]));
      expect(await storage.nextSequenceValue('protocol')).toBe(2);
    });
  });
}
