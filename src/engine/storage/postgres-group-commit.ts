/**
 * Group commit of step commits on Postgres. A commit with synchronous_commit on waits for its WAL flush, and
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
import type { StepCommit } from './types.js';

export type CommitResult = { sessionVersion?: number };

export interface GroupCommitOptions {
  /** Statements under way at once (each holds one pool connection). @default 2 */
  maxInFlight?: number;
  /** Commits per statement at most (bounds the statement's size). @default 64 */
  maxBatch?: number;
}

interface Waiter {
  commit: StepCommit;
  resolve: (result: CommitResult) => void;
  reject: (error: unknown) => void;
}

export interface StepCommitWriter {
  /** The one-commit statement, with its own error mapping (StaleSessionStateError, LeaseLostError). */
  commitOne(commit: StepCommit): Promise<CommitResult>;
  /** One statement for the batch; results in the batch's order. Rejects (having written nothing) if any member is refused. */
  commitMany(commits: StepCommit[]): Promise<CommitResult[]>;
  /** True for errors after which retrying the members alone is wrong (the batch's outcome is unknown). */
  isConnectionLoss(error: unknown): boolean;
}

export class StepGroupCommit {
  private queue: Waiter[] = [];
  private inFlight = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;

  constructor(private readonly writer: StepCommitWriter, options: GroupCommitOptions = {}) {
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this.maxBatch = Math.max(1, options.maxBatch ?? 64);
  }

  commit(commit: StepCommit): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      this.queue.push({ commit, resolve, reject });
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.write(batch).finally(() => {
        this.inFlight--;
        this.startBatches();
      });
    }
  }

  /**
   * The queue's first commits, in order, skipping (for the next batch) a second commit of a session or of a
   * (run, step path) already in this one: one statement cannot update one row twice, and a session's commits
   * must keep their order (in practice a session's commits are awaited one after another, so this is rare).
   */
  private takeBatch(): Waiter[] {
    const batch: Waiter[] = [];
    const rest: Waiter[] = [];
    const sessions = new Set<string>();
    const steps = new Set<string>();
    for (const waiter of this.queue) {
      const sessionId = waiter.commit.session?.sessionId;
      const stepKey = `${waiter.commit.step.runId}\u0000${waiter.commit.step.stepPath}`;
      if (batch.length >= this.maxBatch || (sessionId !== undefined && sessions.has(sessionId)) || steps.has(stepKey)) {
        rest.push(waiter);
        continue;
      }
      if (sessionId !== undefined) sessions.add(sessionId);
      steps.add(stepKey);
      batch.push(waiter);
    }
    this.queue = rest;
    return batch;
  }

  /** Never rejects: every waiter is resolved or rejected (it runs unawaited). */
  private async write(batch: Waiter[]): Promise<void> {
    if (batch.length === 1) return this.writeAlone(batch[0]!);
    let results: CommitResult[];
    try {
      results = await this.writer.commitMany(batch.map((waiter) => waiter.commit));
    } catch (error) {
      if (this.writer.isConnectionLoss(error)) {
        for (const waiter of batch) waiter.reject(error);
        return;
      }
      await Promise.all(batch.map((waiter) => this.writeAlone(waiter)));
      return;
    }
    batch.forEach((waiter, i) => waiter.resolve(results[i] ?? {}));
  }

  private async writeAlone(waiter: Waiter): Promise<void> {
    try {
      waiter.resolve(await this.writer.commitOne(waiter.commit));
    } catch (error) {
      waiter.reject(error);
    }
  }
}
