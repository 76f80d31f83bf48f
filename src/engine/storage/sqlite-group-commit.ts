/**
 * Group commit on one SQLite connection, shared by the engine's SqliteStorage and the service's own store
 * (through storage-kit.ts). The writes asked for while the current microtasks run are written in ONE IMMEDIATE
 * transaction once the microtasks are drained (a process.nextTick: no event-loop turn is added), each in its own
 * savepoint, so a write that throws is rolled back alone and only its caller sees the error. Every commit appends
 * its pages to the WAL, so one commit instead of several is less CPU; a caller's promise still resolves only
 * after the transaction holding its write committed.
 *
 * Write-behind (WriteChain): the writes of one chain are applied in the order asked; once one is refused, the
 * chain's later writes are refused with the same error without being applied.
 */
import type Database from 'better-sqlite3';
import type { WriteChain } from './types.js';

export interface SqliteGroupCommitOptions {
  /** Called before each write transaction, with no lock held (e.g. to give way to another connection). */
  beforeWrite?: (() => void) | undefined;
  /** `false`: every write commits alone, at once. @default true */
  enabled?: boolean;
}

interface QueuedWrite {
  work: () => unknown;
  chain: WriteChain | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class SqliteGroupCommit {
  private queued: QueuedWrite[] = [];
  // One transaction function each: better-sqlite3 builds its BEGIN/COMMIT wrappers when one is made.
  private transaction: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private savepoint: Database.Transaction<(work: () => unknown) => unknown> | undefined;
  private readonly enabled: boolean;

  constructor(
    /** The open connection (throws when the store is closed). */
    private readonly db: () => Database.Database,
    private readonly options: SqliteGroupCommitOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
  }

  /** `work` in an IMMEDIATE transaction of its own, now (after beforeWrite). */
  now<T>(work: () => T): T {
    this.options.beforeWrite?.();
    return this.commit(work);
  }

  /** `work` in an IMMEDIATE transaction of its own, now, without beforeWrite (the caller handles lock waits). */
  commit<T>(work: () => T): T {
    this.transaction ??= this.db().transaction((run: () => unknown) => run());
    return this.transaction.immediate(work) as T;
  }

  /** `work` in the transaction shared by the writes of this microtask run (see the header); alone if disabled. */
  grouped<T>(work: () => T, chain?: WriteChain): Promise<T> {
    if (!this.enabled) {
      try {
        return Promise.resolve(this.now(() => chained(work, chain)));
      } catch (error) {
        if (chain !== undefined) chain.refused ??= error;
        return Promise.reject(error);
      }
    }
    return new Promise<T>((resolve, reject) => {
      if (this.queued.length === 0) process.nextTick(() => this.flush());
      this.queued.push({ work, chain, resolve: resolve as (value: unknown) => void, reject });
    });
  }

  /** Writes what is queued now (a closing store: those callers are waiting). */
  flush(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    if (batch.length === 1) {
      const only = batch[0]!;
      try {
        only.resolve(this.now(() => chained(only.work, only.chain)));
      } catch (error) {
        if (only.chain !== undefined) only.chain.refused ??= error;
        only.reject(error);
      }
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.now(() => {
        // A nested better-sqlite3 transaction is a savepoint: a write that throws is rolled back alone.
        this.savepoint ??= this.db().transaction((run: () => unknown) => run());
        for (const queued of batch) {
          try {
            outcomes.push({ ok: true, value: this.savepoint(() => chained(queued.work, queued.chain)) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // beforeWrite, BEGIN or COMMIT failed (the lock stayed taken past busy_timeout, the disk is full): nothing is written.
      for (const queued of batch) {
        if (queued.chain !== undefined) queued.chain.refused ??= error;
        queued.reject(error);
      }
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  /** The connection is closing: its transaction functions go with it. */
  forget(): void {
    this.transaction = undefined;
    this.savepoint = undefined;
  }
}

/**
 * A write of a WriteChain: refused unapplied once an earlier write of its chain was refused; a refusal (thrown
 * inside the savepoint, so nothing of it is kept) refuses the chain's later writes.
 */
function chained<T>(work: () => T, chain: WriteChain | undefined): T {
  if (chain === undefined) return work();
  if (chain.refused !== undefined) throw chain.refused;
  try {
    return work();
  } catch (error) {
    chain.refused = error;
    throw error;
  }
}
