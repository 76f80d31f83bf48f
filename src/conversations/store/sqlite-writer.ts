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
import { SqliteGroupCommit } from '../../engine/storage-kit.js';

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
  /** With `block`: another store's group commit on the same connection (its owner closes it). @default one of its own */
  commits?: SqliteGroupCommit | undefined;
}

const isBusy = (error: unknown) => error instanceof Error && /^SQLITE_BUSY/.test(String((error as Error & { code?: unknown }).code));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const oneMillisecond = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

export class SqliteWriter {
  /** The engine's group commit (the same mechanism its SqliteStorage writes runs with). */
  private readonly commits: SqliteGroupCommit;
  private readonly ownsCommits: boolean;

  constructor(
    /** The open connection (throws when the store is closed). */
    db: () => Database.Database,
    private readonly options: SqliteWriterOptions,
  ) {
    this.ownsCommits = options.commits === undefined;
    this.commits = options.commits ?? new SqliteGroupCommit(db, { beforeWrite: options.beforeWrite, enabled: options.groupCommit });
  }

  /** `work` committed in one transaction (possibly shared, see the header); resolves once it is on disk. */
  async write<T>(work: () => T): Promise<T> {
    if (this.options.lockWait === 'yield') return this.writeYielding(work);
    return this.commits.grouped(work);
  }

  /** Commits what is still queued (the store is closing: those callers are waiting), then forgets the connection. */
  close(): void {
    this.commits.flush();
    if (this.ownsCommits) this.commits.forget();
  }

  /** Never sleeps the thread: a write that finds the lock taken is retried from the event loop. */
  private async writeYielding<T>(work: () => T): Promise<T> {
    const deadline = Date.now() + this.options.busyTimeoutMs;
    let announced = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          // BEGIN IMMEDIATE fails before `work` runs, so a retry never repeats half a transaction.
          return this.commits.commit(work);
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
}
