/**
 * The load generator of `npm run bench:webhooks`, in its own process (forked by bench/webhooks.ts, driven over
 * IPC) so its CPU is not the receiver's. Open loop: message `i` has a due time fixed before the clock starts,
 * it is sent at that time whatever happened to earlier ones, and its latency is counted from the DUE time to
 * the end of the 200 — a receiver that stalls makes every message due during the stall late, and that shows
 * (no coordinated omission). A failed delivery (connection refused or reset, timeout, 5xx) is delivered again
 * with backoff, as Meta and Evolution do, until `giveUpAfterMs` past its due time; its latency still counts
 * from the first due time.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { buildPlan, type PlanOptions, type PlannedRequest } from './webhook-plan.js';
import { summarize, type LatencySummary } from './webhook-stats.js';

export interface LoadConfig {
  baseUrl: string;
  plan: PlanOptions;
  /** A message not acknowledged this long after its due time is given up (counted, reported). */
  giveUpAfterMs: number;
  /** One attempt waits this long for its answer before it is abandoned and retried. */
  requestTimeoutMs: number;
  /** Keep-alive sockets to the receiver (providers deliver over many connections at once). */
  maxSockets: number;
}

export interface SecondOfLoad {
  /** Second of the load in which these messages were due. */
  second: number;
  due: number;
  /** First attempts that failed. */
  failedFirstAttempts: number;
  /** Due → ack, of the messages due in this second. */
  p99: number;
  max: number;
}

export interface LoadResult {
  planned: number;
  acked: number;
  /** Provider message ids answered 200 (the verification's "acked"). */
  ackedIds: string[];
  /** Never acknowledged within giveUpAfterMs. */
  gaveUpIds: string[];
  /** Answered 4xx other than 429: the receiver refused a valid request (a bug; not retried). */
  rejected: number;
  /** Failed attempts (refused, reset, timeout, 5xx, 429), each retried. */
  failedAttempts: number;
  failuresByKind: Record<string, number>;
  /** Messages that needed more than one attempt. */
  retriedMessages: number;
  /** Messages of the warm-up (acked and verified, not in the latency figures). */
  warmup: number;
  /** Due time → 200, every acked message after the warm-up (retries included). */
  ack: LatencySummary;
  /** Due time → 200, messages acked at their first attempt. */
  firstAttempt: LatencySummary;
  /** Due time → actual send of first attempts: the generator's own lateness (should stay ~1 ms). */
  sendLag: LatencySummary;
  startedAtEpochMs: number;
  /** When the measured load (after the warm-up) started. */
  measuredFromEpochMs: number;
  lastAckAtEpochMs: number;
  /** Load start → last ack. */
  elapsedMs: number;
  perSecond: SecondOfLoad[];
}

export type LoadMessage = { type: 'run'; config: LoadConfig };
export type LoadReport = { type: 'started'; startedAtEpochMs: number; measuredFromEpochMs: number } | { type: 'result'; result: LoadResult } | { type: 'error'; message: string };

const retryDelayMs = (attempt: number): number => Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random());

export async function runLoad(config: LoadConfig, onStarted: (startedAtEpochMs: number, measuredFromEpochMs: number) => void): Promise<LoadResult> {
  const base = new URL(config.baseUrl);
  const plan = buildPlan(config.plan, Date.now() + 1000);
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.maxSockets, maxFreeSockets: config.maxSockets, scheduling: 'fifo' });
  const latency = new Float64Array(plan.length).fill(NaN);
  const attempts = new Uint16Array(plan.length);
  const sendLag: number[] = [];
  const failuresByKind: Record<string, number> = {};
  const ackedIds: string[] = [];
  const gaveUpIds: string[] = [];
  let rejected = 0;
  let failedAttempts = 0;
  let finished = 0;
  let lastAck = 0;
  const timers = new Set<NodeJS.Timeout>();

  const t0 = performance.now() + 200;
  const epoch0 = Date.now() + 200;
  const measuredFrom = epoch0 + config.plan.warmupMs;
  onStarted(epoch0, measuredFrom);

  return new Promise<LoadResult>((resolve) => {
    const settle = (): void => {
      if (++finished < plan.length) return;
      for (const timer of timers) clearTimeout(timer);
      agent.destroy();
      resolve(report());
    };
    const retryLater = (index: number, kind: string): void => {
      failedAttempts++;
      failuresByKind[kind] = (failuresByKind[kind] ?? 0) + 1;
      const request = plan[index]!;
      if (performance.now() - (t0 + request.dueMs) > config.giveUpAfterMs) {
        gaveUpIds.push(request.messageId);
        settle();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(index);
      }, retryDelayMs(attempts[index]!));
      timers.add(timer);
    };
    const send = (index: number): void => {
      const request: PlannedRequest = plan[index]!;
      const attempt = ++attempts[index]!;
      if (attempt === 1 && request.measured) sendLag.push(performance.now() - (t0 + request.dueMs));
      let done = false;
      const once = (fn: () => void) => {
        if (done) return;
        done = true;
        fn();
      };
      const outgoing = http.request({
        agent, host: base.hostname, port: base.port, path: request.path, method: 'POST',
        headers: { ...request.headers, 'content-length': String(request.body.length) },
      });
      outgoing.setTimeout(config.requestTimeoutMs, () => outgoing.destroy(new Error('timeout')));
      outgoing.on('error', (error: NodeJS.ErrnoException) => once(() => retryLater(index, error.code ?? error.message)));
      outgoing.on('response', (response) => {
        response.on('error', (error: NodeJS.ErrnoException) => once(() => retryLater(index, error.code ?? error.message)));
        response.on('end', () => once(() => {
          const status = response.statusCode ?? 0;
          if (status === 200) {
            const now = performance.now();
            latency[index] = now - (t0 + request.dueMs);
            lastAck = Math.max(lastAck, now);
            ackedIds.push(request.messageId);
            settle();
          } else if (status >= 500 || status === 429) {
            retryLater(index, `HTTP ${status}`);
          } else {
            rejected++;
            failuresByKind[`HTTP ${status}`] = (failuresByKind[`HTTP ${status}`] ?? 0) + 1;
            settle();
          }
        }));
        response.resume();
      });
      outgoing.end(request.body);
    };

    // The open loop: every tick sends whatever is due, then sleeps until the next due time.
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < plan.length && t0 + plan[next]!.dueMs <= now) send(next++);
      if (next < plan.length) setTimeout(tick, Math.max(0, t0 + plan[next]!.dueMs - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));

    function report(): LoadResult {
      const acked = Array.from(latency).filter((value, i) => Number.isFinite(value) && plan[i]!.measured);
      const firstAttempt = Array.from(latency).filter((value, i) => Number.isFinite(value) && plan[i]!.measured && attempts[i] === 1);
      return {
        planned: plan.length,
        warmup: plan.filter((request) => !request.measured).length,
        acked: ackedIds.length,
        ackedIds,
        gaveUpIds,
        rejected,
        failedAttempts,
        failuresByKind,
        retriedMessages: Array.from(attempts).filter((n) => n > 1).length,
        ack: summarize(acked),
        firstAttempt: summarize(firstAttempt),
        sendLag: summarize(sendLag),
        startedAtEpochMs: epoch0,
        measuredFromEpochMs: measuredFrom,
        lastAckAtEpochMs: epoch0 + (lastAck - t0),
        elapsedMs: Math.round(lastAck - t0),
        perSecond: bySecond(plan, latency, attempts),
      };
    }
  });
}

function bySecond(plan: PlannedRequest[], latency: Float64Array, attempts: Uint16Array): SecondOfLoad[] {
  const seconds = new Map<number, { samples: number[]; due: number; failed: number }>();
  plan.forEach((request, i) => {
    const second = Math.floor(request.dueMs / 1000);
    let bucket = seconds.get(second);
    if (!bucket) seconds.set(second, (bucket = { samples: [], due: 0, failed: 0 }));
    bucket.due++;
    if (attempts[i]! > 1) bucket.failed++;
    if (Number.isFinite(latency[i])) bucket.samples.push(latency[i]!);
  });
  return [...seconds.entries()].map(([second, bucket]) => {
    const summary = summarize(bucket.samples);
    return { second, due: bucket.due, failedFirstAttempts: bucket.failed, p99: summary.p99, max: summary.max };
  });
}

// Forked by the harness: one run per process, then exit.
if (process.send) {
  process.once('message', (message: LoadMessage) => {
    if (message.type !== 'run') return;
    const reply = (report: LoadReport, then?: () => void) => process.send!(report, undefined, {}, () => then?.());
    const last = (report: LoadReport) => reply(report, () => process.disconnect());
    runLoad(message.config, (startedAtEpochMs, measuredFromEpochMs) => reply({ type: 'started', startedAtEpochMs, measuredFromEpochMs })).then(
      (result) => last({ type: 'result', result }),
      (error: unknown) => last({ type: 'error', message: error instanceof Error ? error.stack ?? error.message : String(error) }),
    );
  });
}
