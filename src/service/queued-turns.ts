/**
 * The worker side of the turn queue (./turn-queue.ts): a job says "this conversation has messages waiting";
 * its holder waits for the conversation to go quiet (the coalescing window, bounded by `maxWaitMs`), takes
 * every pending message in the customer's order and runs ONE turn for them — the same turn the in-process
 * dispatcher runs (src/service/dispatcher.ts), with the same run-id binding: a batch a dead worker left
 * `processing` carries its run id, and the new holder resumes that run with exactly those messages first.
 *
 * A periodic sweep (one process at a time, under a named lease) enqueues every conversation that still has
 * pending messages: after a job's retries ran out, or rows committed by a process that died before pg-boss
 * existed in this database. A conversation that already has a waiting job keeps it (stately), so the sweep
 * costs nothing when all is well.
 */
import { timeOrderedId, type Storage } from '../engine/index.js';
import { TurnDeferredError, type ConversationProcessor } from './dispatcher.js';
import type { InboxRecord, ServiceStore } from '../conversations/store/types.js';
import type { Logger } from '../logging.js';
import type { TurnQueue } from './turn-queue.js';

export interface QueuedTurnsOptions {
  queue: TurnQueue;
  store: ServiceStore;
  storage: Storage;
  process: ConversationProcessor;
  /** Lease owner id of this process (the sweep's lease). */
  owner: string;
  /** Conversations worked on at once by this process. */
  concurrency: number;
  /** Quiet time after a conversation's last message before its turn. */
  coalesceWindowMs: number;
  /** Longest the first waiting message waits for quiet. @default 3 × coalesceWindowMs */
  maxWaitMs?: number;
  /** How often the sweep runs. @default 30000 */
  sweepEveryMs?: number;
  now?: () => number;
  logger: Logger;
}

const SWEEP_LEASE = 'turn-queue:sweep';

export class QueuedTurns {
  private active = 0;
  private idleWaiters: Array<() => void> = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: QueuedTurnsOptions) {
    this.now = options.now ?? Date.now;
    this.maxWaitMs = options.maxWaitMs ?? 3 * options.coalesceWindowMs;
  }

  /** Starts working on jobs; the first sweep runs at once (messages stored before the queue existed). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.options.queue.work(this.options.concurrency, async (job) => {
      try {
        await this.drain(job.data.conversationKey, () => this.options.queue.holds(job));
      } catch (error) {
        // LEASE_LOST: this process stalled and another took the conversation over; its writes were refused.
        const code = (error as { code?: unknown }).code;
        this.options.logger.warn({ err: error, code, conversationKey: job.data.conversationKey, attempt: job.retryCount }, 'conversation turn failed; the job is retried (or was taken over)');
        throw error;
      }
    });
    const every = this.options.sweepEveryMs ?? 30_000;
    const tick = async (): Promise<void> => {
      try {
        await this.sweep();
      } catch (error) {
        this.options.logger.warn({ err: error }, 'turn queue sweep failed; retrying at the next one');
      }
      if (!this.stopped) this.sweepTimer = setTimeout(() => void tick(), every).unref();
    };
    void tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
  }

  get activeCount(): number {
    return this.active;
  }

  /** Resolves when this process holds no turn. */
  async idle(): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Enqueues every conversation with messages still pending (one process at a time). */
  async sweep(): Promise<number> {
    const now = this.now();
    const every = this.options.sweepEveryMs ?? 30_000;
    if (!(await this.options.storage.tryAcquireLease(SWEEP_LEASE, this.options.owner, now + every, now))) return 0;
    const keys = await this.options.store.conversationsWithPendingInbox();
    await this.options.queue.enqueue(keys, 0);
    return keys.length;
  }

  /**
   * One job: wait for quiet, take the conversation's pending messages, run one turn. Throws to retry.
   * `stillHeld` says whether this process still holds the job (a paused worker's job may have gone to
   * another): checked right before the messages are taken, so a worker that resumes late takes nothing.
   */
  async drain(conversationKey: string, stillHeld: () => Promise<boolean> = async () => true): Promise<void> {
    this.active++;
    try {
      await this.waitForQuiet(conversationKey);
      for (;;) {
        if (!(await stillHeld())) throw new Error('turn job no longer held by this process (it was handed to another worker)');
        const freshRunId = `run_${timeOrderedId()}`;
        // A batch a dead or fenced-out worker left `processing` comes back alone, with its run id: it is resumed
        // with exactly its messages; the messages that arrived meanwhile are the next turn (the next loop).
        const items = await this.options.store.takePending(conversationKey, freshRunId, this.now());
        if (items.length === 0) return;
        const runId = items[0]?.runId ?? freshRunId;
        try {
          await this.options.process(conversationKey, items, runId);
        } catch (error) {
          // The run is still executing elsewhere (the engine's recovery is resuming it): wait, keep the job.
          if (!(error instanceof TurnDeferredError)) throw error;
          await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
          continue;
        }
        if (runId === freshRunId) return;
      }
    } finally {
      this.active--;
      if (this.active === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /**
   * The job became due `coalesceWindowMs` after the FIRST message of a burst; later messages of the burst
   * did not move it (stately keeps one waiting job), so wait here until the last one is that old too.
   */
  private async waitForQuiet(conversationKey: string): Promise<void> {
    const window = this.options.coalesceWindowMs;
    if (window <= 0) return;
    for (;;) {
      const pending = (await this.options.store.recentMessages(conversationKey, 20)).filter((item: InboxRecord) => item.status === 'pending');
      if (pending.length === 0) return;
      const now = this.now();
      const sinceLast = now - Math.max(...pending.map((item) => item.receivedAt));
      const sinceFirst = now - Math.min(...pending.map((item) => item.receivedAt));
      const waitMs = Math.min(window - sinceLast, this.maxWaitMs - sinceFirst);
      if (waitMs <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}
