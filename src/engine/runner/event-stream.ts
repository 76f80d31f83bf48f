/**
 * `wf.stream()`: the run's events as an async iterable, delivered as they happen. Events are buffered
 * until read, so a slow reader never slows the run; leaving the loop early (break) cancels the run.
 */
import type { WorkflowEvent } from '../events.js';
import type { RunResult } from '../types.js';

export interface WorkflowStream extends AsyncIterable<WorkflowEvent> {
  readonly runId: string;
  /** The run's result (also available without iterating). */
  readonly result: Promise<RunResult>;
}

export class EventQueue implements AsyncIterator<WorkflowEvent> {
  private readonly buffer: WorkflowEvent[] = [];
  private waiting: ((result: IteratorResult<WorkflowEvent>) => void) | undefined = undefined;
  private ended = false;
  private failure: unknown = undefined;
  private rejectWaiting: ((error: unknown) => void) | undefined = undefined;
  /** Called when the reader leaves the loop before the run ended. */
  onAbandon: () => void = () => {};

  push(event: WorkflowEvent): void {
    if (this.ended) return;
    if (this.waiting !== undefined) {
      const deliver = this.waiting;
      this.waiting = undefined;
      this.rejectWaiting = undefined;
      deliver({ value: event, done: false });
    } else {
      this.buffer.push(event);
    }
  }

  /** No more events; a failure (the run could not even be recorded) is thrown to the reader. */
  end(failure?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    if (this.waiting !== undefined) {
      if (failure !== undefined) this.rejectWaiting?.(failure);
      else this.waiting({ value: undefined, done: true });
      this.waiting = undefined;
      this.rejectWaiting = undefined;
    }
  }

  next(): Promise<IteratorResult<WorkflowEvent>> {
    const event = this.buffer.shift();
    if (event !== undefined) return Promise.resolve({ value: event, done: false });
    if (this.ended) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure as Error);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.rejectWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<WorkflowEvent>> {
    if (!this.ended) this.onAbandon();
    this.ended = true;
    this.buffer.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }
}
