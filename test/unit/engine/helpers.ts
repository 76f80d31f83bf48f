/** Test helpers for the engine: a manual clock, step factories, and a storage "process" view. */
import type { Clock, StepInput, Storage, WorkflowEvent } from '../../../src/engine/index.js';
import { Step } from '../../../src/engine/index.js';

/** A clock whose time only moves when the test says so; timers fire on advance(). */
export class ManualClock implements Clock {
  private time: number;
  private timers: Array<{ at: number; fn: () => void; id: number; background: boolean }> = [];
  private nextId = 0;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(ms: number, fn: () => void, options?: { unref?: boolean }): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.time + ms, fn, id, background: options?.unref === true });
    return () => {
      this.timers = this.timers.filter((timer) => timer.id !== id);
    };
  }

  /** Delays of the step timers pending (relative to now), in creation order; background ones (heartbeats) left out. */
  pendingDelays(): number[] {
    return this.timers.filter((timer) => !timer.background).map((timer) => timer.at - this.time);
  }

  /** Moves time forward, firing due timers in order and letting promise callbacks run in between. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((timer) => timer !== due);
      this.time = due.at;
      due.fn();
    }
    this.time = target;
    await flush();
  }
}

/** Lets pending promise callbacks (several hops deep) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 50; i++) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** n → n + 1 on the previous step's content (or the message). */
export function inc(name: string): Step {
  return new Step({ name, executor: (input: StepInput) => ((input.previousStepContent ?? input.message) as number) + 1 });
}

/** Counts executions per step path, like the kill tests' side table. */
export class ExecutionCounter {
  readonly counts = new Map<string, number>();

  hit(input: StepInput): void {
    this.counts.set(input.stepPath, (this.counts.get(input.stepPath) ?? 0) + 1);
  }

  of(path: string): number {
    return this.counts.get(path) ?? 0;
  }

  /** Paths that ran more than once. */
  repeated(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([path]) => path);
  }
}

/** A promise that never settles: a step awaiting it is "in flight" when the process "crashes". */
export function never(): Promise<never> {
  return new Promise<never>(() => {});
}

/**
 * Another process's view of the same database: a distinct Storage object delegating to the shared one.
 * (Session queues are per storage object, as they are per process in production.)
 */
export function processView(storage: Storage): Storage {
  return new Proxy(storage, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** `type@path` of each event, for asserting event order. */
export function trace(events: readonly WorkflowEvent[]): string[] {
  return events.map((event) => (event.stepPath === undefined ? event.type : `${event.type}@${event.stepPath}`));
}
