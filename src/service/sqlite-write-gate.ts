/**
 * Webhook commits first on a shared SQLite file.
 *
 * SQLite's write lock has no queue: a connection that finds it taken retries, and the processing thread,
 * writing transaction after transaction, wins most of those races against the request thread's inbox
 * commits — each lost race is an ack waiting another millisecond. So the request thread raises a counter in
 * shared memory while one of its commits waits for the lock, and the processing thread, before each of its
 * write transactions (holding no lock), waits until the counter is back to zero — at most `maxWaitMs`, so
 * that a stuck request thread cannot stop the processing. It is a worker thread: it may block.
 */

export class SqliteWriteGate {
  /** One Int32: commits of the request thread waiting for the lock. Pass it to the processing thread. */
  readonly buffer = new SharedArrayBuffer(4);
  private readonly view = new Int32Array(this.buffer);

  /** A commit found the lock taken and will retry. */
  want(): void {
    Atomics.add(this.view, 0, 1);
  }

  /** That commit is done (committed or given up). */
  done(): void {
    if (Atomics.sub(this.view, 0, 1) === 1) Atomics.notify(this.view, 0);
  }
}

/** The processing thread's side: call before each write transaction. */
export function giveWayTo(buffer: SharedArrayBuffer, maxWaitMs = 5): () => void {
  const view = new Int32Array(buffer);
  return () => {
    let waiting = Atomics.load(view, 0);
    if (waiting === 0) return;
    const deadline = performance.now() + maxWaitMs;
    while (waiting > 0) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      Atomics.wait(view, 0, waiting, left);
      waiting = Atomics.load(view, 0);
    }
  };
}

/** The processing thread's side: does a commit of the request thread wait for the lock now? */
export function lockWantedBy(buffer: SharedArrayBuffer): () => boolean {
  const view = new Int32Array(buffer);
  return () => Atomics.load(view, 0) > 0;
}
