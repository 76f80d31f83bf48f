/**
 * Turns inbox rows into workflow runs:
 * - one run at a time per conversation (a customer's messages never race each other's state);
 * - in the customer's order (the store sorts by the provider's send time);
 * - bursts coalesced: WhatsApp users send "oi" / "minha maquininha" / "nao liga" as three messages within
 *   seconds; waiting `coalesceWindowMs` after the last one (at most `maxWaitMs` after the first) makes them
 *   one run with the whole thought instead of three half-answers;
 * - at most `maxConcurrent` conversations processed at once, the rest wait their turn in arrival order;
 * - turns START one per event-loop iteration: with SQLite every storage call is synchronous, so a turn runs
 *   from start to finish without giving the loop back, and a backlog of turns started together (or each
 *   started from the end of the previous one) would hold the webhook acks back for seconds. One start per
 *   iteration lets the pending acks in between (bench/README.md, "Webhooks"); with Postgres, turns still
 *   overlap up to `maxConcurrent` while they wait on the database;
 * - nothing acked is lost: rows stay in the inbox until the processor marks them, a failed batch is retried
 *   with capped backoff for as long as it fails (a database outage of any length ends with the backlog
 *   processed), and `start()` picks up whatever a crashed process left behind;
 * - a batch a crashed process left `processing` is resumed with exactly its own messages and run id (the
 *   store returns nothing else for that conversation); messages that arrived meanwhile get their own turn
 *   right after it, so a reused run result never marks messages its input did not hold.
 */
import { timeOrderedId } from '../engine/index.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import type { InboxRecord, ServiceStore } from '../conversations/store/types.js';
import { TurnDeferredError } from './errors.js';
export { TurnDeferredError };

/** Runs the workflows for a batch of one conversation's messages and marks the inbox rows when done. */
export type ConversationProcessor = (conversationKey: string, items: InboxRecord[], runId: string) => Promise<void>;

export interface DispatcherOptions {
  store: ServiceStore;
  process: ConversationProcessor;
  /** Quiet time after a conversation's last message before its run starts. @default 2000 */
  coalesceWindowMs?: number;
  /** Longest a message waits for quiet, so a chatty customer still gets answers. @default 3 × coalesceWindowMs */
  maxWaitMs?: number;
  /** Conversations processed at once. @default 16 */
  maxConcurrent?: number;
  /**
   * A lower limit that changes over time, and a pause before each start, read before each start (the
   * request thread's intake pressure, src/service/intake-pressure.ts). Concurrency below 1 counts as 1.
   */
  turnBudget?: () => { concurrency: number; pauseMs: number };
  /** First wait before a failing batch is tried again; it doubles per failure up to maxBackoffMs. @default 1000 */
  firstBackoffMs?: number;
  /** Longest wait between attempts of a failing batch (it is retried for as long as it fails). @default 30000 */
  maxBackoffMs?: number;
  now?: () => number;
  newRunId?: () => string;
  logger?: Logger;
}

interface ConversationSlot {
  firstArrival: number;
  timer?: NodeJS.Timeout;
  running: boolean;
  /** A message arrived while running: schedule again afterwards. */
  again: boolean;
  failures: number;
}

export class ConversationDispatcher {
  private readonly slots = new Map<string, ConversationSlot>();
  private readonly ready: string[] = [];
  private active = 0;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  private nextStart: { cancel(): void } | undefined;
  private readonly coalesceWindowMs: number;
  private readonly maxWaitMs: number;
  private readonly maxConcurrent: number;
  private readonly firstBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;
  private readonly newRunId: () => string;
  private readonly logger: Logger;

  constructor(private readonly options: DispatcherOptions) {
    this.coalesceWindowMs = options.coalesceWindowMs ?? 2000;
    this.maxWaitMs = options.maxWaitMs ?? 3 * this.coalesceWindowMs;
    this.maxConcurrent = options.maxConcurrent ?? 16;
    this.firstBackoffMs = options.firstBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    if (this.maxConcurrent < 1) throw new RangeError('maxConcurrent must be at least 1');
    this.now = options.now ?? Date.now;
    this.newRunId = options.newRunId ?? (() => `run_${timeOrderedId()}`);
    this.logger = options.logger ?? silentLogger;
  }

  /** Picks up conversations a previous process left with unprocessed messages. */
  async start(): Promise<number> {
    this.stopped = false;
    const keys = await this.options.store.conversationsWithPendingInbox();
    for (const key of keys) this.enqueueReady(key, this.slot(key));
    this.pump();
    return keys.length;
  }

  /** A message for this conversation was stored: schedule its run after the coalescing window. */
  notify(conversationKey: string): void {
    if (this.stopped) return;
    const slot = this.slot(conversationKey);
    if (slot.running) {
      slot.again = true;
      return;
    }
    this.schedule(conversationKey, slot, this.coalesceWindowMs);
  }

  /** Resolves when no conversation is waiting or running (tests, the demo, graceful shutdown). */
  async idle(): Promise<void> {
    if (this.slots.size === 0 && this.active === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops scheduling; in-flight runs finish (their rows are marked), waiting ones stay in the inbox for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.nextStart?.cancel();
    this.nextStart = undefined;
    for (const slot of this.slots.values()) if (slot.timer) clearTimeout(slot.timer);
    this.ready.length = 0;
    for (const [key, slot] of this.slots) if (!slot.running) this.slots.delete(key);
    await this.idle();
  }

  get activeCount(): number {
    return this.active;
  }

  private slot(key: string): ConversationSlot {
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { firstArrival: this.now(), running: false, again: false, failures: 0 };
      this.slots.set(key, slot);
    }
    return slot;
  }

  private schedule(key: string, slot: ConversationSlot, delayMs: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    const untilMaxWait = slot.firstArrival + this.maxWaitMs - this.now();
    const delay = Math.max(0, Math.min(delayMs, untilMaxWait));
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      this.enqueueReady(key, slot);
      this.pump();
    }, delay);
    slot.timer.unref?.();
  }

  private enqueueReady(key: string, slot: ConversationSlot): void {
    if (slot.timer) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    if (!this.ready.includes(key)) this.ready.push(key);
  }

  /** Turns allowed at once now, and the pause before the next start. */
  private budget(): { concurrency: number; pauseMs: number } {
    const budget = this.options.turnBudget?.();
    if (!budget) return { concurrency: this.maxConcurrent, pauseMs: 0 };
    return { concurrency: Math.max(1, Math.min(this.maxConcurrent, budget.concurrency)), pauseMs: budget.pauseMs };
  }

  private pump(): void {
    const { concurrency, pauseMs } = this.budget();
    if (!this.stopped && !this.nextStart && this.active < concurrency && this.ready.length > 0) {
      if (pauseMs > 0) {
        const timer = setTimeout(() => this.startNext(), pauseMs);
        this.nextStart = { cancel: () => clearTimeout(timer) };
      } else {
        const immediate = setImmediate(() => this.startNext());
        this.nextStart = { cancel: () => clearImmediate(immediate) };
      }
    }
    this.resolveIdleIfQuiet();
  }

  /** Starts one ready conversation; the next start waits for the next loop iteration (see the header). */
  private startNext(): void {
    this.nextStart = undefined;
    while (!this.stopped && this.active < this.budget().concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const slot = this.slots.get(key);
      if (!slot || slot.running) continue;
      void this.run(key, slot);
      break;
    }
    this.pump();
  }

  private async run(key: string, slot: ConversationSlot): Promise<void> {
    slot.running = true;
    this.active++;
    let failed = false;
    let deferredMs: number | undefined;
    let recovered = false;
    try {
      const freshRunId = this.newRunId();
      const items = await this.options.store.takePending(key, freshRunId, this.now());
      // Items a crashed process left `processing` come alone, with that run's id: continue it.
      const runId = items[0]?.runId ?? freshRunId;
      recovered = runId !== freshRunId;
      if (items.length > 0) await this.options.process(key, items, runId);
      slot.failures = 0;
    } catch (error) {
      if (error instanceof TurnDeferredError) {
        deferredMs = error.retryAfterMs;
      } else {
        failed = true;
        slot.failures++;
        this.logger.error({ err: error, conversationKey: key, attempt: slot.failures }, 'conversation batch failed; messages stay in the inbox and are tried again');
      }
    } finally {
      this.active--;
      slot.running = false;
      if (this.stopped) {
        this.slots.delete(key);
      } else if (failed) {
        // Back off (1 s, 2 s, 4 s, … capped): a storage outage should not become a hot loop, and never
        // strands the conversation — it is tried again until it succeeds.
        slot.firstArrival = this.now();
        this.schedule(key, slot, Math.min(this.maxBackoffMs, this.firstBackoffMs * 2 ** Math.min(30, slot.failures - 1)));
      } else if (deferredMs !== undefined) {
        slot.firstArrival = this.now();
        this.schedule(key, slot, deferredMs);
      } else if (recovered || slot.again) {
        // After a recovered batch, the messages that arrived meanwhile are still pending: their turn now.
        slot.again = false;
        slot.firstArrival = this.now();
        this.schedule(key, slot, recovered ? 0 : this.coalesceWindowMs);
      } else {
        this.slots.delete(key);
      }
      this.pump();
    }
  }

  private resolveIdleIfQuiet(): void {
    if (this.slots.size > 0 || this.active > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
