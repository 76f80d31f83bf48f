/**
 * Two runs of one session never interleave in this process: each waits for the previous one (a FIFO per
 * session id). Keyed by storage, so every workflow writing to the same storage shares the queue. Across
 * processes the version check on the session (StaleSessionStateError) catches what this can't see.
 */
import type { Storage } from '../storage/types.js';

class SessionQueues {
  /** Sessions with a run in progress → the runs waiting for it, in arrival order (null: nobody waits yet). */
  private readonly waiting = new Map<string, Array<() => void> | null>();

  /**
   * True when the session was free and is now held; otherwise a promise that resolves once it is held. The
   * holder calls release(sessionId) exactly once (no release closure per run: this is on every run's path).
   */
  acquire(sessionId: string): true | Promise<void> {
    const queue = this.waiting.get(sessionId);
    if (queue === undefined) {
      this.waiting.set(sessionId, null);
      return true;
    }
    return new Promise<void>((resolve) => {
      if (queue === null) this.waiting.set(sessionId, [resolve]);
      else queue.push(resolve);
    });
  }

  /** Hands the session to the next waiting run, or frees it. */
  release(sessionId: string): void {
    const next = this.waiting.get(sessionId)?.shift();
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
