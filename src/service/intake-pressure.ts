/**
 * Acks first: how many conversation turns the processing thread may run at once, decided by the request
 * thread from how long its inbox commits take.
 *
 * Turns and acks share the machine's cores and the database. When the commits behind the acks slow down
 * (the database's processes, or the SQLite write lock, are busy with the turns), the turn concurrency drops
 * to one at once; while they are quick, it grows back by one per tick, up to MAX_CONCURRENT_CONVERSATIONS
 * (additive increase, sharp decrease, as TCP does for the same reason; in between, it holds). At one
 * turn at a time with the acks still slow, the turns are spaced by a pause that doubles up to 20 ms: the
 * backlog is always being worked on, just more slowly; with no webhooks arriving the budget is the configured
 * maximum at once.
 * Turns that mostly wait on the network (Claude) do not slow the commits, so they keep their concurrency.
 *
 * The budget lives in a SharedArrayBuffer the processing thread reads before starting each turn: no message
 * has to get through a busy loop for it to take effect.
 */

export interface IntakePressureOptions {
  /** The configured maximum (MAX_CONCURRENT_CONVERSATIONS). */
  maxConcurrent: number;
  /** Longest pause between turns when one at a time still slows the acks. @default 20 */
  maxPauseMs?: number;
  /** Commits slower than this many times the quiet-time duration mean pressure: one turn at a time. @default 1.5 */
  slowFactor?: number;
  /** Commits within this many times the quiet-time duration leave room: one more. Between the two: hold. @default 1.15 */
  quickFactor?: number;
  /** A window needs this many commits to judge. @default 5 */
  minSamples?: number;
  /**
   * How fast the remembered quiet-time duration forgets a low value (per tick), so that a database that became
   * slower for good is not seen as "under pressure" for ever. @default 0.001 (about 70 s to double at 100 ms ticks)
   */
  baselineDrift?: number;
}

/** What the processing thread reads before starting a turn. */
export interface TurnBudget {
  /** Turns at once (at least 1). */
  concurrency: number;
  /** Wait this long before starting the next turn (0 unless concurrency is 1 and the acks are still slow). */
  pauseMs: number;
}

const LIMIT = 0;
const PAUSE = 1;

export class IntakePressure {
  /** Two Int32s: the concurrency limit and the pause between turns. Pass it to the processing thread. */
  readonly buffer = new SharedArrayBuffer(8);
  private readonly view = new Int32Array(this.buffer);
  private readonly maxConcurrent: number;
  private readonly maxPauseMs: number;
  private readonly slowFactor: number;
  private readonly quickFactor: number;
  private readonly minSamples: number;
  private readonly baselineDrift: number;
  private baselineMs = Number.POSITIVE_INFINITY;
  private sumMs = 0;
  private samples = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: IntakePressureOptions) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent);
    this.maxPauseMs = options.maxPauseMs ?? 20;
    this.slowFactor = options.slowFactor ?? 1.5;
    this.quickFactor = options.quickFactor ?? 1.15;
    this.minSamples = options.minSamples ?? 5;
    this.baselineDrift = options.baselineDrift ?? 0.001;
    this.set(this.maxConcurrent, 0);
  }

  get budget(): TurnBudget {
    return { concurrency: Atomics.load(this.view, LIMIT), pauseMs: Atomics.load(this.view, PAUSE) };
  }

  /** One inbox commit (a webhook's rows stored) took this long. */
  record(durationMs: number): void {
    this.sumMs += durationMs;
    this.samples++;
  }

  /** Decides the budget every `tickMs` until stop(). */
  start(tickMs = 50): void {
    this.timer ??= setInterval(() => this.tick(), tickMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One decision over the commits recorded since the last one (public for tests). */
  tick(): void {
    const samples = this.samples;
    const meanMs = samples > 0 ? this.sumMs / samples : 0;
    this.sumMs = 0;
    this.samples = 0;
    if (samples === 0) {
      // Nobody is waiting for an ack: nothing to protect.
      this.set(this.maxConcurrent, 0);
      return;
    }
    if (samples >= this.minSamples) {
      this.baselineMs = Math.min(this.baselineMs * (1 + this.baselineDrift), meanMs);
      if (meanMs > this.baselineMs * this.slowFactor) return this.slower();
      if (meanMs > this.baselineMs * this.quickFactor) return; // hold
    }
    // Quick, or too few webhooks to judge (few webhooks are no pressure): give room back.
    this.faster();
  }

  private slower(): void {
    const { concurrency, pauseMs } = this.budget;
    if (concurrency > 1) this.set(1, 0);
    else this.set(1, Math.min(this.maxPauseMs, Math.max(1, pauseMs * 2)));
  }

  private faster(): void {
    const { concurrency, pauseMs } = this.budget;
    if (pauseMs > 0) this.set(1, Math.floor(pauseMs / 2));
    else this.set(Math.min(this.maxConcurrent, concurrency + 1), 0);
  }

  private set(concurrency: number, pauseMs: number): void {
    Atomics.store(this.view, LIMIT, concurrency);
    Atomics.store(this.view, PAUSE, pauseMs);
  }
}

/** The processing thread's view of the budget. */
export function turnBudgetFrom(buffer: SharedArrayBuffer): () => TurnBudget {
  const view = new Int32Array(buffer);
  return () => ({ concurrency: Atomics.load(view, LIMIT), pauseMs: Atomics.load(view, PAUSE) });
}
