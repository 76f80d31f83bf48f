/**
 * Group commit on Postgres (step commits, run creations, run finishes). A commit with synchronous_commit on waits for its WAL flush, and
 * each statement pays its own parse/bind/executor start and transaction end; with many runs at once those
 * fixed costs, not the rows, bound the throughput. So: while `maxInFlight` commits are under way, the steps
 * that complete queue, and the next free slot writes all of them in ONE statement (`commitSteps`). Each
 * caller's promise still resolves only after the statement holding its step has committed — a step reported
 * complete is on disk, as before. With nothing under way a commit goes alone at once: no added latency.
 *
 * The same idea as the webhook inbox's group commit (src/conversations/store/group-commit.ts): a batch that
 * fails for one member (a stale session, a lost lease) wrote nothing, and each member is then committed alone,
 * so only the culprit's caller sees the error. A lost connection fails the whole batch with that error, as
 * it would have failed each commit on its own (the outcome is unknown: the caller's recovery decides).
 */
export type CommitResult = { sessionVersion?: number };

export interface GroupCommitOptions {
  /**
   * Statements under way at once (each holds one pool connection). @default 2 — each statement's fixed cost
   * (executor start, commit, WAL flush) is most of Postgres's CPU for a batch, so fewer, larger batches go
   * further: 50 runs at once made ~1,300 3-step runs/s with 4 in flight and ~1,600 with 2 or 1
   * (`npm run bench:storage`, alternating); 2 rather than 1 so that one slow statement (a lock wait) does not
   * hold up every commit behind it.
   */
  maxInFlight?: number;
  /** Commits per statement at most (bounds the statement's size). @default 64 */
  maxBatch?: number;
}

interface Waiter<Item, Result> {
  item: Item;
  resolve: (result: Result) => void;
  reject: (error: unknown) => void;
}

export interface GroupWriter<Item, Result> {
  /** The one-item statement, with its own error mapping (StaleSessionStateError, LeaseLostError, …). */
  one(item: Item): Promise<Result>;
  /** One statement for the batch; results in the batch's order. Rejects (having written nothing) if any member is refused. */
  many(items: Item[]): Promise<Result[]>;
  /** True for errors after which retrying the members alone is wrong (the batch's outcome is unknown). */
  isConnectionLoss(error: unknown): boolean;
  /**
   * Rows the item writes that no other member of its batch may write (one statement cannot update a row
   * twice, and one session's writes must keep their order): an item sharing one waits for the next batch.
   */
  keys(item: Item): string[];
}

export class GroupCommit<Item, Result> {
  private queue: Array<Waiter<Item, Result>> = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(private readonly writer: GroupWriter<Item, Result>, options: GroupCommitOptions = {}) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
  }

  write(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.writeBatch(batch).finally(() => {
        this.inFlight--;
        this.startBatches();
      });
    }
  }

  /** The queue's first items, in order, leaving for the next batch any that shares a key with one taken. */
  private takeBatch(): Array<Waiter<Item, Result>> {
    const batch: Array<Waiter<Item, Result>> = [];
    const rest: Array<Waiter<Item, Result>> = [];
    const taken = new Set<string>();
    for (const waiter of this.queue) {
      const keys = this.writer.keys(waiter.item);
      if (batch.length >= this.maxBatch || keys.some((key) => taken.has(key))) {
        rest.push(waiter);
        continue;
      }
      for (const key of keys) taken.add(key);
      batch.push(waiter);
    }
    this.queue = rest;
    return batch;
  }

  /** Never rejects: every waiter is resolved or rejected (it runs unawaited). */
  private async writeBatch(batch: Array<Waiter<Item, Result>>): Promise<void> {
    if (batch.length === 1) return this.writeAlone(batch[0]!);
    let results: Result[];
    try {
      results = await this.writer.many(batch.map((waiter) => waiter.item));
    } catch (error) {
      if (this.writer.isConnectionLoss(error)) {
        for (const waiter of batch) waiter.reject(error);
        return;
      }
      await Promise.all(batch.map((waiter) => this.writeAlone(waiter)));
      return;
    }
    batch.forEach((waiter, i) => waiter.resolve(results[i]!));
  }

  private async writeAlone(waiter: Waiter<Item, Result>): Promise<void> {
    try {
      waiter.resolve(await this.writer.one(waiter.item));
    } catch (error) {
      waiter.reject(error);
    }
  }
}
