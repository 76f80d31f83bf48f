/**
 * Two runs of one session never interleave in this process: each waits for the previous one (a FIFO per
 * session id). Keyed by storage, so every workflow writing to the same storage shares the queue. Across
 * processes the version check on the session (StaleSessionStateError) catches what this can't see.
 */
import type { Storage } from '../storage/types.js';

type Release = () => void;

class SessionQueues {
  /** Sessions with a run in progress → the runs waiting for it, in arrival order. */
  private readonly waiting = new Map<string, Array<() => void>>();

  /** Resolves (or returns at once, without a promise, when the session is free) with the release function. */
  acquire(sessionId: string): Release | Promise<Release> {
    const queue = this.waiting.get(sessionId);
    if (queue === undefined) {
      this.waiting.set(sessionId, []);
      return () => this.release(sessionId);
    }
    return new Promise<Release>((resolve) => queue.push(() => resolve(() => this.release(sessionId))));
  }

  private release(sessionId: string): void {
    const queue = this.waiting.get(sessionId);
    const next = queue?.shift();
    if (next !== undefined) next();
    else this.waiting.delete(sessionId);
  }
}

const queuesByStorage = new WeakMap<Storage, SessionQueues>();

export function sessionQueues(storage: Storage): SessionQueues {
  let queues = queuesByStorage.get(storage);
  if (queues === undefined) queuesByStorage.set(storage, (queues = new SessionQueues()));
  return queues;
}
