/**
 * How the SQLite service store commits its writes: each one in an IMMEDIATE transaction, waiting for the
 * write lock in one of two ways (`lockWait`), and — on the processing thread — in a group commit.
 *
 * Group commit (`groupCommit`, with `lockWait: 'block'`): the writes asked for while the current microtasks
 * run — the ones a turn issues together (its case, run and conversation marks), and those of other turns and
 * deliveries that reach a write in the same run — are written in ONE transaction once the microtasks are
 * done, each in its own savepoint (a write that fails is rolled back alone and only its caller sees the
 * error). Every commit appends its pages to the WAL, so one commit instead of several is less CPU; a caller's
 * promise still resolves only after the transaction holding its write committed (as the engine's
 * SqliteStorage does with its run writes).
 */
import type Database from 'better-sqlite3';

export interface SqliteWriterOptions {
  /** How a write waits for the write lock (SqliteServiceStoreOptions.lockWait). */
  lockWait: 'block' | 'yield';
  /** With `yield`: the longest a write keeps retrying. */
  busyTimeoutMs: number;
  /** With `yield`: told when a write starts waiting for the lock and when it is done. */
  announceWait?: { want(): void; done(): void } | undefined;
  /** With `block`: called before each write transaction, with no lock held. */
  beforeWrite?: (() => void) | undefined;
  /** With `block`: see the header. */
  groupCommit: boolean;
}

interface QueuedWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const isBusy = (error: unknown) => error instanceof Error && /^SQLITE_BUSY/.test(String((error as Error & { code?: unknown }).code));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const oneMillisecond = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

export class SqliteWriter {
  private queuedWrites: QueuedWrite[] = [];
  // One transaction function each (better-sqlite3 builds its BEGIN/COMMIT wrappers when one is made).
  private transaction: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private savepoint: Database.Transaction<(work: () => unknown) => unknown> | undefined;

  constructor(
    /** The open connection (throws when the store is closed). */
    private readonly db: () => Database.Database,
    private readonly options: SqliteWriterOptions,
  ) {}

  /** `work` committed in one transaction (possibly shared, see the header); resolves once it is on disk. */
  async write<T>(work: () => T): Promise<T> {
    if (this.options.lockWait === 'yield') return this.writeYielding(work);
    if (this.options.groupCommit) return this.grouped(work);
    this.options.beforeWrite?.();
    return this.commit(work);
  }

  /** Commits what is still queued (the store is closing: those callers are waiting), then forgets the connection. */
  close(): void {
    if (this.queuedWrites.length > 0) this.flushWrites();
    this.transaction = undefined;
    this.savepoint = undefined;
  }

  private commit<T>(work: () => T): T {
    this.transaction ??= this.db().transaction((run: () => unknown) => run());
    return this.transaction.immediate(work) as T;
  }

  /** Never sleeps the thread: a write that finds the lock taken is retried from the event loop. */
  private async writeYielding<T>(work: () => T): Promise<T> {
    const deadline = Date.now() + this.options.busyTimeoutMs;
    let announced = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // BEGIN IMMEDIATE fails before `work` runs, so a retry never repeats half a transaction.
          return this.commit(work);
        } catch (error) {
          if (!isBusy(error) || Date.now() >= deadline) throw error;
          if (!announced) this.options.announceWait?.want();
          announced = true;
          await (attempt <= 8 ? nextTurn() : oneMillisecond());
        }
      }
    } finally {
      if (announced) this.options.announceWait?.done();
    }
  }

  /**
   * Queues `work` for the group commit. The flush is a process.nextTick: it runs once the current microtasks
   * are drained, so no event-loop turn is added and a turn never gives the loop back here.
   */
  private grouped<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queuedWrites.length === 0) process.nextTick(() => this.flushWrites());
      this.queuedWrites.push({ work, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  private flushWrites(): void {
    const batch = this.queuedWrites;
    this.queuedWrites = [];
    if (batch.length === 0) return;
    try {
      this.options.beforeWrite?.();
    } catch (error) {
      for (const queued of batch) queued.reject(error);
      return;
    }
    if (batch.length === 1) {
      const only = batch[0]!;
      try {
        only.resolve(this.commit(only.work));
      } catch (error) {
        only.reject(error);
      }
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.commit(() => {
        // A nested better-sqlite3 transaction is a savepoint: a write that throws is rolled back alone.
        this.savepoint ??= this.db().transaction((run: () => unknown) => run());
        for (const queued of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(queued.work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // BEGIN or COMMIT failed (the lock stayed taken past busy_timeout, the disk is full): nothing is written.
      for (const queued of batch) queued.reject(error);
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }
}
