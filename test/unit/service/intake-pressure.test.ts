/**
 * Acks first: the turn budget the request thread gives the processing thread from its inbox commit times.
 * Ticks are driven by hand, so each case is one sequence of windows.
 */
import { describe, expect, it } from 'vitest';
import { IntakePressure, turnBudgetFrom } from '../../../src/service/intake-pressure.js';

function window(pressure: IntakePressure, commitMs: number, commits = 50): void {
  for (let i = 0; i < commits; i++) pressure.record(commitMs);
  pressure.tick();
}

describe('IntakePressure', () => {
  it('gives the configured concurrency while webhooks are quick or absent', () => {
    const pressure = new IntakePressure({ maxConcurrent: 16 });
    for (let i = 0; i < 5; i++) window(pressure, 2);
    expect(pressure.budget).toEqual({ concurrency: 16, pauseMs: 0 });
    pressure.tick(); // no webhook at all in the window
    expect(pressure.budget).toEqual({ concurrency: 16, pauseMs: 0 });
  });

  it('drops to one turn at a time as soon as commits slow down, then spaces the turns while they stay slow', () => {
    const pressure = new IntakePressure({ maxConcurrent: 16, maxPauseMs: 20 });
    window(pressure, 2);
    window(pressure, 6);
    expect(pressure.budget).toEqual({ concurrency: 1, pauseMs: 0 });
    const pauses: number[] = [];
    for (let i = 0; i < 7; i++) {
      window(pressure, 6);
      pauses.push(pressure.budget.pauseMs);
    }
    expect(pauses).toEqual([1, 2, 4, 8, 16, 20, 20]);
    expect(pressure.budget.concurrency).toBe(1); // never 0: the backlog keeps moving
  });

  it('gives the room back step by step once commits are quick again, and all at once when webhooks stop', () => {
    const pressure = new IntakePressure({ maxConcurrent: 4 });
    window(pressure, 2);
    for (let i = 0; i < 4; i++) window(pressure, 8);
    expect(pressure.budget).toEqual({ concurrency: 1, pauseMs: 4 });
    const budgets = [];
    for (let i = 0; i < 7; i++) {
      window(pressure, 2);
      budgets.push(pressure.budget);
    }
    expect(budgets).toEqual([
      { concurrency: 1, pauseMs: 2 }, { concurrency: 1, pauseMs: 1 }, { concurrency: 1, pauseMs: 0 },
      { concurrency: 2, pauseMs: 0 }, { concurrency: 3, pauseMs: 0 }, { concurrency: 4, pauseMs: 0 }, { concurrency: 4, pauseMs: 0 },
    ]);
    for (let i = 0; i < 3; i++) window(pressure, 9);
    pressure.tick();
    expect(pressure.budget).toEqual({ concurrency: 4, pauseMs: 0 });
  });

  it('holds between quick and slow, and a trickle of webhooks is never read as pressure', () => {
    const pressure = new IntakePressure({ maxConcurrent: 8 });
    window(pressure, 2);
    window(pressure, 10);
    window(pressure, 2.6); // 1.3× the quiet time: neither quick nor slow
    expect(pressure.budget.concurrency).toBe(1);
    window(pressure, 50, 2); // two slow webhooks in a window: too few to judge
    expect(pressure.budget.concurrency).toBe(2);
  });

  it('is what the processing thread reads through the shared buffer', () => {
    const pressure = new IntakePressure({ maxConcurrent: 6 });
    const read = turnBudgetFrom(pressure.buffer);
    window(pressure, 2);
    window(pressure, 7);
    window(pressure, 7);
    expect(read()).toEqual({ concurrency: 1, pauseMs: 1 });
  });
});
