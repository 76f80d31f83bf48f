/**
 * Delivers outbox rows — the side effects steps committed together with their results — exactly once as far
 * as anyone can see:
 * - rows are claimed with an owner and a short expiry that a heartbeat moves while they are being delivered,
 *   so a process that dies mid-delivery delays its rows by seconds, and another process (or its own restart)
 *   picks them up (nothing is lost);
 * - every delivery carries the row's key as idempotency key down to the WhatsApp MCP server, so a row
 *   delivered twice (claim expired, crash before `markOutboxDelivered`) still produces one message;
 * - failures back off exponentially with jitter (capped); a non-retryable error makes the row `dead` at once
 *   (visible in the admin API, retriable from there); a retryable one (the MCP server or the provider down)
 *   keeps being retried until the row is `retryForMs` old — a budget by age, not by attempts, so an outage of
 *   minutes or hours never kills a fraud alert, however many attempts it took;
 * - while `available()` says the way out is down (MCP unreachable), no row is claimed: attempts are not spent
 *   on a known outage, and everything due goes out on the first round after it ends;
 * - one conversation's rows go out in order; different conversations in parallel (bounded).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { systemClock } from '../engine/index.js';
import type { OutboxRecord, Storage } from '../engine/index.js';
import type { Clock } from '../engine/index.js';
import { backoffDelay } from './outbox-backoff.js';
import type { BackoffOptions } from './outbox-backoff.js';

/** Delivers the rows of one topic. */
export interface OutboxDeliverer {
  /**
   * Performs the side effect for `row` with `row.key` as idempotency key and returns what to keep as the row's
   * `result` (e.g. the provider's message ids). Throws on failure; an error with `retryable: false` makes
   * the row dead at once.
   */
  deliver(row: OutboxRecord): Promise<unknown>;
  /** Rows with the same ordering key are delivered one after another, in claim order. @default the row key */
  orderingKey?(row: OutboxRecord): string;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'dead' | 'unrecorded';

export interface OutboxDispatcherOptions {
  /** `listOutbox` and `retryOutbox` only for `reviveDead`; without `extendOutboxClaims`, claims are long (no heartbeat). */
  storage: Pick<Storage, 'claimOutbox' | 'markOutboxDelivered' | 'markOutboxFailed'>
    & Partial<Pick<Storage, 'listOutbox' | 'retryOutbox' | 'extendOutboxClaims' | 'claimsFirstOfEachConversation'>>;
  /** One deliverer per topic; rows of other topics are left for another dispatcher. */
  deliverers: Record<string, OutboxDeliverer>;
  /** Claim owner; unique per process. @default `outbox:<host>:<pid>:<random>` */
  owner?: string;
  /** @default the engine's system clock */
  clock?: Clock;
  /** How often to look for due rows when not kicked. @default 1000 */
  pollIntervalMs?: number;
  /**
   * How long a kick waits for its round, so that the rows of the turns that finish meanwhile are claimed in the
   * same round (one claim, one commit, instead of one per turn). @default 0
   */
  kickDelayMs?: number;
  /**
   * How long a claim holds without a heartbeat. With `storage.extendOutboxClaims` the claims of rows still
   * being delivered are extended every third of it, so it only bounds how late a dead process's rows are
   * taken over. Without, it must exceed a whole round's deliveries. @default 15_000 with heartbeat, else 120_000
   */
  claimTtlMs?: number;
  /** Rows claimed per round. @default 20 */
  batchSize?: number;
  /** Ordering groups (conversations) delivered at once. @default 4 */
  concurrency?: number;
  /** Attempts before a retryable failure makes the row dead. @default unlimited (see retryForMs) */
  maxAttempts?: number;
  /**
   * How long after it was written a row keeps being retried on retryable failures. The service uses 24 h
   * (OUTBOX_RETRY_HOURS): Meta's customer-service window — past it a free-form reply is refused anyway.
   * @default 86_400_000
   */
  retryForMs?: number;
  /** False while deliveries cannot succeed (the MCP server is unreachable): rounds claim nothing. @default always true */
  available?: () => boolean;
  backoff?: BackoffOptions;
  /** @default Math.random */
  random?: () => number;
  logger?: Logger;
  /** Called after each row (metrics). */
  onOutcome?: (outcome: DeliveryOutcome, row: OutboxRecord) => void;
}

export interface DrainSummary {
  delivered: number;
  retried: number;
  dead: number;
}

export class OutboxDispatcher {
  readonly owner: string;
  private readonly clock: Clock;
  private readonly deliverers: Map<string, OutboxDeliverer>;
  private readonly topics: string[];
  private readonly pollIntervalMs: number;
  private readonly kickDelayMs: number;
  private readonly claimTtlMs: number;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly retryForMs: number;
  private running = false;
  private cancelTimer: (() => void) | undefined;
  /** When the scheduled round starts (clock time), if one is scheduled. */
  private roundDueAt = Number.POSITIVE_INFINITY;
  private current: Promise<{ claimed: number; summary: DrainSummary }> | undefined;
  private kicked = false;

  constructor(private readonly options: OutboxDispatcherOptions) {
    this.owner = options.owner ?? `outbox:${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.clock = options.clock ?? systemClock;
    this.deliverers = new Map(Object.entries(options.deliverers));
    this.topics = [...this.deliverers.keys()];
    this.pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 1000);
    this.kickDelayMs = options.kickDelayMs ?? 0;
    if (!(this.kickDelayMs >= 0 && Number.isFinite(this.kickDelayMs))) throw new RangeError(`OutboxDispatcher kickDelayMs must be a finite number ≥ 0, got ${options.kickDelayMs}`);
    this.claimTtlMs = positive('claimTtlMs', options.claimTtlMs ?? (options.storage.extendOutboxClaims ? 15_000 : 120_000));
    this.batchSize = positive('batchSize', options.batchSize ?? 20);
    this.concurrency = positive('concurrency', options.concurrency ?? 4);
    this.maxAttempts = positive('maxAttempts', options.maxAttempts ?? Number.POSITIVE_INFINITY, true);
    this.retryForMs = positive('retryForMs', options.retryForMs ?? 86_400_000);
    if (this.topics.length === 0) throw new RangeError('OutboxDispatcher needs at least one deliverer (topic → deliverer).');
  }

  /** Starts polling (and delivering right away). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops polling and waits for the deliveries under way to finish and be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    while (this.current) await this.current.catch(() => undefined);
  }

  /** Delivers now instead of at the next poll (call after committing rows). No-op when stopped. */
  kick(): void {
    if (!this.running) return;
    if (this.current) this.kicked = true;
    // A round already due sooner takes this kick's rows too: later kicks never postpone it.
    else if (this.cancelTimer === undefined || this.roundDueAt > this.clock.now() + this.kickDelayMs) this.schedule(this.kickDelayMs);
  }

  /** Delivers every row due now, round after round, until none is left (tests, shutdown, CLI). */
  async drain(): Promise<DrainSummary> {
    const total: DrainSummary = { delivered: 0, retried: 0, dead: 0 };
    for (;;) {
      const { claimed, summary } = await this.round();
      total.delivered += summary.delivered;
      total.retried += summary.retried;
      total.dead += summary.dead;
      if (claimed === 0) return total;
    }
  }

  /**
   * Gives rows made dead by a retryable failure (`lastError` matching) back to the queue while they are
   * younger than retryForMs: rows a version that counted attempts gave up on during an outage need no admin.
   * Returns how many were revived.
   */
  async reviveDead(retryableError: RegExp, limit = 1000): Promise<number> {
    const { listOutbox, retryOutbox } = this.options.storage;
    if (!listOutbox || !retryOutbox) return 0;
    const now = this.clock.now();
    let revived = 0;
    for (const row of await listOutbox.call(this.options.storage, { status: 'dead', limit })) {
      if (!this.topics.includes(row.topic) || now - row.createdAt >= this.retryForMs || !retryableError.test(row.lastError ?? '')) continue;
      if (await retryOutbox.call(this.options.storage, row.id, now)) revived++;
    }
    return revived;
  }

  private schedule(delayMs: number): void {
    this.cancelTimer?.();
    this.roundDueAt = this.clock.now() + delayMs;
    this.cancelTimer = this.clock.setTimer(delayMs, () => {
      this.cancelTimer = undefined;
      this.roundDueAt = Number.POSITIVE_INFINITY;
      void this.poll();
    }, { unref: true });
  }

  private async poll(): Promise<void> {
    let claimed = 0;
    try {
      ({ claimed } = await this.round());
    } catch (error) {
      // Only a throwing onOutcome/logger gets here; the loop must survive it.
      this.options.logger?.error({ err: error }, 'outbox round failed');
    }
    if (!this.running) return;
    const full = claimed >= this.batchSize;
    const kicked = this.kicked;
    this.kicked = false;
    // With a claim that takes one row per conversation (Storage.claimsFirstOfEachConversation: Postgres), the rows
    // behind the ones just delivered went out one per poll interval: a customer's messages forwarded to an agent
    // 0.5 s apart, and after a burst 1,200 queued rows trickled out for a minute. So a round that claimed rows is
    // followed by another at once. Not for a claim that takes a conversation's rows in order (SQLite): there the
    // extra round would find nothing, and would commit the processing thread's commit window early.
    const more = claimed > 0 && this.options.storage.claimsFirstOfEachConversation === true;
    this.schedule(full ? 0 : kicked || more ? this.kickDelayMs : this.pollIntervalMs);
  }

  /** One claim + deliver round; rounds never overlap (drain and the poll loop share this). */
  private async round(): Promise<{ claimed: number; summary: DrainSummary }> {
    while (this.current) await this.current.catch(() => undefined);
    const round = this.claimAndDeliver();
    this.current = round;
    try {
      return await round;
    } finally {
      this.current = undefined;
    }
  }

  private async claimAndDeliver(): Promise<{ claimed: number; summary: DrainSummary }> {
    const summary: DrainSummary = { delivered: 0, retried: 0, dead: 0 };
    if (this.options.available && !this.options.available()) return { claimed: 0, summary };
    const now = this.clock.now();
    let rows: OutboxRecord[];
    try {
      rows = await this.options.storage.claimOutbox(this.owner, now + this.claimTtlMs, now, this.batchSize, this.topics);
    } catch (error) {
      this.options.logger?.error({ err: error }, 'claiming outbox rows failed; will try again at the next poll');
      return { claimed: 0, summary };
    }
    const groups = new Map<string, OutboxRecord[]>();
    for (const row of rows) {
      const key = `${row.topic}\u0000${this.deliverers.get(row.topic)?.orderingKey?.(row) ?? row.key}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    const queue = [...groups.values()];
    const unfinished = new Set(rows.map((row) => row.id));
    const worker = async (): Promise<void> => {
      for (let group = queue.shift(); group; group = queue.shift()) {
        for (const row of group) {
          const outcome = await this.deliverOne(row);
          unfinished.delete(row.id);
          if (outcome === 'delivered' || outcome === 'unrecorded') summary.delivered++;
          else if (outcome === 'retry') summary.retried++;
          else summary.dead++;
        }
      }
    };
    const stopHeartbeat = this.heartbeat(unfinished);
    try {
      await Promise.all(Array.from({ length: Math.min(this.concurrency, queue.length) }, worker));
    } finally {
      stopHeartbeat();
    }
    return { claimed: rows.length, summary };
  }

  /** Extends the claims of `unfinished` rows every third of the claim time until stopped. */
  private heartbeat(unfinished: Set<number>): () => void {
    const { storage, logger } = this.options;
    const extend = storage.extendOutboxClaims;
    if (!extend || unfinished.size === 0) return () => {};
    let stopped = false;
    let cancel: (() => void) | undefined;
    const arm = (): void => {
      cancel = this.clock.setTimer(Math.max(1, Math.floor(this.claimTtlMs / 3)), () => {
        if (stopped || unfinished.size === 0) return;
        void extend.call(storage, this.owner, [...unfinished], this.clock.now() + this.claimTtlMs)
          .catch((error: unknown) => logger?.warn({ err: error }, 'extending outbox claims failed; they may expire and be delivered again (idempotently)'))
          .finally(() => {
            if (!stopped) arm();
          });
      }, { unref: true });
    };
    arm();
    return () => {
      stopped = true;
      cancel?.();
    };
  }

  private async deliverOne(row: OutboxRecord): Promise<DeliveryOutcome> {
    const { storage, logger } = this.options;
    const deliverer = this.deliverers.get(row.topic) as OutboxDeliverer;
    const context = { outboxId: row.id, topic: row.topic, attempt: row.attempts, runId: row.runId };
    let outcome: DeliveryOutcome;
    // A worker that stalled (GC pause, SIGSTOP) past its claim may find the row claimed by another worker:
    // it must not send it too. Rows still queued behind a slow delivery in this round are skipped the same way.
    if (row.claimExpiresAt !== undefined && this.clock.now() >= row.claimExpiresAt) {
      this.options.onOutcome?.('retry', row);
      return 'retry';
    }
    try {
      const result = await deliverer.deliver(row);
      try {
        await storage.markOutboxDelivered(row.id, this.owner, result ?? null, this.clock.now());
        outcome = 'delivered';
        logger?.info(context, 'outbox row delivered');
      } catch (error) {
        // Sent but not recorded: the claim expires, the row is delivered again, and its idempotency key
        // makes that second delivery return the first message instead of sending another.
        outcome = 'unrecorded';
        logger?.error({ ...context, err: error }, 'outbox row delivered but not recorded; it will be re-delivered idempotently');
      }
    } catch (error) {
      const retryable = isRetryable(error);
      const now = this.clock.now();
      const dead = !retryable || row.attempts >= this.maxAttempts || now - row.createdAt >= this.retryForMs;
      const nextAttemptAt = dead ? now : now + backoffDelay(row.attempts, this.options.backoff, this.options.random);
      outcome = dead ? 'dead' : 'retry';
      try {
        await storage.markOutboxFailed(row.id, this.owner, describeError(error), nextAttemptAt, dead, now);
      } catch (markError) {
        logger?.error({ ...context, err: markError }, 'recording an outbox failure failed; the claim will expire and the row be retried');
      }
      if (dead) logger?.error({ ...context, err: error, retryable }, 'outbox row is dead: delivery gave up (retry it from the admin API)');
      else logger?.warn({ ...context, err: error, nextAttemptAt, givesUpAt: row.createdAt + this.retryForMs }, 'outbox delivery failed; will retry');
    }
    this.options.onOutcome?.(outcome, row);
    return outcome;
  }
}

function isRetryable(error: unknown): boolean {
  const flag = (error as { retryable?: unknown } | null)?.retryable;
  // Errors that do not say (a bug, a network error) are retried: maxAttempts bounds them anyway.
  return typeof flag === 'boolean' ? flag : true;
}

/** What the admin sees as `lastError`: code and message, bounded. */
function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const text = typeof code === 'string' ? `[${code}] ${message}` : message;
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

function positive(name: string, value: number, infinityAllowed = false): number {
  if (Number.isNaN(value) || (!infinityAllowed && !Number.isFinite(value)) || value <= 0) throw new RangeError(`OutboxDispatcher ${name} must be a positive number (got ${value}).`);
  return value;
}
