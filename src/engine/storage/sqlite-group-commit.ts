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
 *
 * Held open (`holdOpen`, zapflow's processing thread): a turn awaits its writes one after the other (take the
 * batch, the case, the run, the reply, the marks), so per-microtask-run groups still cost a turn ~12 commits,
 * and each commit rewrites every page it touched (700 KB of WAL and checkpoint writes a turn). Held open, the
 * transaction stays open until the event loop's check phase (setImmediate): the writes of the whole event-loop
 * turn share ONE commit. A caller's promise then resolves once its write is applied in that transaction, before
 * the COMMIT, so "resolved" no longer means "on disk" — what keeps the guarantees:
 * - A crash loses the open transaction whole (SQLite is atomic): the state on disk is the one before that loop
 *   turn, from which the work is redone (the inbox row is still owed, the run resumes from its last step).
 * - Nothing leaves the process before the COMMIT of what it depends on: `now()` (claims, e.g. the outbox rows
 *   about to be delivered) commits the open transaction with its own write, and the owner calls `commitHeld()`
 *   before telling another thread anything.
 * - Another connection that wants the lock (`lockWanted`) gets it at the next group, not at the check phase.
 * - A COMMIT that fails (disk full, I/O error) after callers were answered cannot be reported to them: the
 *   transaction is rolled back and `onLostCommit` is called (default: the error is thrown, stopping the thread),
 *   so the work is redone by a restart rather than believed done.
 *
 * A commit window (`holdForMs`): the held transaction stays open that long across event-loop turns instead of
 * until the first check phase. A turn waits on I/O between its writes (the model, the provider), so at the check
 * phase a commit held ~1.3 turns' writes, and every commit rewrites at least one page of each table and index
 * it touched (~40 of them): the fixed price of a commit, paid per turn. In a window, the turns going on at once
 * share it. The guarantees above are unchanged (nothing leaves before the COMMIT of what it depends on: claims
 * and `commitHeld()` still commit at once); what waits is only what another connection may see. Another
 * connection that wants the lock still gets it at the next group of writes (`lockWanted`); while the thread
 * writes nothing, it waits for the window's end. Looking at `lockWanted` every millisecond instead was measured
 * and rejected: the lock then changed hands at the webhook rate (more bytes and +70 % CPU a turn than without
 * any window), while the acks' p99 was no better than waiting (bench/README.md, issue 21).
 */
import type Database from 'better-sqlite3';
import { StorageUnavailableError } from '../errors.js';
import type { WriteChain } from './types.js';

export interface SqliteGroupCommitOptions {
  /** Called before each write transaction, with no lock held (e.g. to give way to another connection). */
  beforeWrite?: (() => void) | undefined;
  /** `false`: every write commits alone, at once. @default true */
  enabled?: boolean;
  /** Keep the group's transaction open until the event loop's check phase (see the header). @default false */
  holdOpen?: boolean;
  /** With holdOpen: another connection waits for the write lock, so the open transaction commits now. */
  lockWanted?: (() => boolean) | undefined;
  /** With holdOpen: a deferred COMMIT failed after its callers were answered. @default throws the error */
  onLostCommit?: ((error: unknown) => void) | undefined;
  /** With holdOpen: the commit window in ms (see the header). @default 0: until the event loop's check phase */
  holdForMs?: number | undefined;
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
  private readonly holdOpen: boolean;
  /** holdOpen: a transaction is open on the connection, to be committed at the check phase. */
  private held = false;
  /** Cancels the timer that commits the held transaction (check phase or end of the window). */
  private cancelScheduled: (() => void) | undefined;
  private readonly holdForMs: number;
  private begin: Database.Statement | undefined;
  private end: Database.Statement | undefined;

  constructor(
    /** The open connection (throws when the store is closed). */
    private readonly db: () => Database.Database,
    private readonly options: SqliteGroupCommitOptions = {},
  ) {
    this.enabled = options.enabled ?? true;
    this.holdOpen = this.enabled && (options.holdOpen ?? false);
    this.holdForMs = options.holdForMs ?? 0;
    if (!(this.holdForMs >= 0 && Number.isFinite(this.holdForMs))) throw new RangeError(`holdForMs must be a finite number ≥ 0, got ${options.holdForMs}`);
  }

  /**
   * `work` committed now, in an IMMEDIATE transaction of its own (after beforeWrite) — or, with a transaction
   * held open, in a savepoint of it, which is then committed with everything before it.
   */
  now<T>(work: () => T): T {
    if (this.held && this.options.lockWanted?.()) this.commitHeld();
    if (this.held) {
      const value = this.savepointOf()(work) as T;
      this.commitHeld();
      return value;
    }
    this.options.beforeWrite?.();
    return this.commit(work);
  }

  /** Commits the transaction held open, if any (holdOpen): what was written so far is on disk when it returns. */
  commitHeld(): void {
    if (!this.held) return;
    this.held = false;
    this.cancelScheduled?.();
    this.cancelScheduled = undefined;
    const db = this.db();
    try {
      (this.end ??= db.prepare('COMMIT')).run();
    } catch (error) {
      if (db.inTransaction) db.prepare('ROLLBACK').run();
      (this.options.onLostCommit ?? rethrowLater)(error);
    }
  }

  /** holdOpen: the transaction the next group writes in (beforeWrite first when one has to be begun). */
  private ensureHeld(): void {
    if (this.held) return;
    this.options.beforeWrite?.();
    (this.begin ??= this.db().prepare('BEGIN IMMEDIATE')).run();
    this.held = true;
    this.cancelScheduled = this.scheduleCommit();
  }

  /** The timer that commits the transaction just begun: at the check phase, or at the end of the window. */
  private scheduleCommit(): () => void {
    const commit = (): void => {
      this.cancelScheduled = undefined;
      this.commitHeld();
    };
    if (this.holdForMs === 0) {
      const immediate = setImmediate(commit);
      return () => clearImmediate(immediate);
    }
    const timeout = setTimeout(commit, this.holdForMs);
    return () => clearTimeout(timeout);
  }

  private savepointOf(): Database.Transaction<(work: () => unknown) => unknown> {
    // A nested better-sqlite3 transaction is a savepoint: a write that throws is rolled back alone.
    return (this.savepoint ??= this.db().transaction((run: () => unknown) => run()));
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
    if (this.holdOpen) {
      this.writeHeld(batch);
      return;
    }
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
        const savepoint = this.savepointOf();
        for (const queued of batch) {
          try {
            outcomes.push({ ok: true, value: savepoint(() => chained(queued.work, queued.chain)) });
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

  /** holdOpen: the group written in the held transaction; its callers answered once it is applied. */
  private writeHeld(batch: QueuedWrite[]): void {
    try {
      if (this.held && this.options.lockWanted?.()) this.commitHeld();
      this.ensureHeld();
    } catch (error) {
      // beforeWrite or BEGIN failed (the lock stayed taken past busy_timeout): nothing is written.
      for (const queued of batch) {
        if (queued.chain !== undefined) queued.chain.refused ??= error;
        queued.reject(error);
      }
      return;
    }
    const savepoint = this.savepointOf();
    for (const queued of batch) {
      try {
        queued.resolve(savepoint(() => chained(queued.work, queued.chain)));
      } catch (error) {
        queued.reject(error);
      }
    }
    if (this.options.lockWanted?.()) this.commitHeld();
  }

  /** The connection is closing: what is queued or held is committed, and its transaction functions go. */
  forget(): void {
    this.flush();
    this.commitHeld();
    this.transaction = undefined;
    this.savepoint = undefined;
    this.begin = undefined;
    this.end = undefined;
  }
}

/** The default for a lost COMMIT: an uncaught error, so the thread (or process) stops and its work is redone. */
const rethrowLater = (error: unknown): void => {
  process.nextTick(() => {
    throw new StorageUnavailableError(
      `A SQLite COMMIT failed after its writes were applied and their callers answered (${(error as Error).message}): ` +
        'they were rolled back; stopping so that they are redone from what is on disk.',
      { cause: error },
    );
  });
};

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
