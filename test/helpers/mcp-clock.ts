/**
 * A clock the test moves by hand (engine `Clock` shape): `now()` is what the test says; timers fire when
 * the test advances past them. The outbox dispatcher's `drain()` needs no timers at all.
 */
import type { Clock } from '../../src/engine/types.js';

export class ManualClock implements Clock {
  private timers: Array<{ at: number; fn: () => void }> = [];

  constructor(private current = Date.UTC(2026, 8, 14, 12)) {}

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Moves time forward and runs the timers that became due. */
  advance(ms: number): void {
    this.current += ms;
    const due = this.timers.filter((t) => t.at <= this.current);
    this.timers = this.timers.filter((t) => t.at > this.current);
    for (const timer of due) timer.fn();
  }
}
