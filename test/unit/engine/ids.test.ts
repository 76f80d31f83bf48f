/**
 * Run ids are time-ordered UUIDs (version 7 layout): admins and tools that sort run ids get them in the order the
 * runs started, any UUID parser accepts them, and two runs started in the same millisecond still differ.
 */
import { describe, expect, it } from 'vitest';
import { SqliteStorage, Step, Workflow, timeOrderedId } from '../../../src/engine/index.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('time-ordered run ids', () => {
  it('are UUIDs of version 7 that sort in time order, unique within one millisecond', () => {
    const earlier = timeOrderedId(Date.UTC(2026, 11, 7, 9, 0, 0));
    const later = timeOrderedId(Date.UTC(2026, 11, 7, 9, 0, 1));
    expect(earlier).toMatch(UUID_V7);
    expect(earlier < later).toBe(true);
    const sameMillisecond = new Set(Array.from({ length: 1000 }, () => timeOrderedId(1_796_633_755_328)));
    expect(sameMillisecond.size).toBe(1000);
    // The first 48 bits are the time in ms (2026-12-07 08:55:55.328 UTC = 0x01a24fb77ec0).
    expect(timeOrderedId(1_796_633_755_328).slice(0, 13)).toBe('01a24fb7-7ec0');
  });

  it('a run started without an id gets one, and later runs sort after it', async () => {
    const storage = new SqliteStorage({ dbFile: ':memory:', tableName: 'ids_' });
    await storage.init();
    try {
      const workflow = new Workflow({ name: 'greet', storage, steps: [new Step({ name: 'hello', executor: () => 'oi' })] });
      const first = await workflow.run({ message: 'oi', sessionId: 'meta:ana' });
      await new Promise((resolve) => setTimeout(resolve, 2));
      const second = await workflow.run({ message: 'oi de novo', sessionId: 'meta:ana' });
      expect(first.runId).toMatch(UUID_V7);
      expect(first.runId < second.runId).toBe(true);
    } finally {
      await storage.close();
    }
  });
});
