/**
 * Preloaded into each receiver the webhook bench starts (`node --import tsx --import ./bench/webhook-loop-probe.ts`):
 * how long the receiver's main event loop (the one that acks) was held (a held loop is an ack waiting), and how busy it was. Measured
 * from SIGUSR2 (the harness sends it when the load starts, so start-up does not count) until the process
 * exits; written as JSON to BENCH_LOOP_PROBE_FILE. A SIGKILLed process writes nothing.
 */
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

export interface LoopProbeReport {
  /** Event-loop delay (ms): how late a 1 ms timer ran, i.e. how long something held the loop. */
  delay: { p50: number; p99: number; max: number };
  /** Share of the time the loop was running JavaScript rather than waiting for I/O (0–1). */
  utilization: number;
}

// Preloads run in worker threads too; the loop that acks is the main thread's (zapflow's processing thread
// would otherwise overwrite the report with its own, mostly idle, loop).
const file = isMainThread ? process.env.BENCH_LOOP_PROBE_FILE : undefined;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let since = performance.eventLoopUtilization();
  process.on('SIGUSR2', () => {
    histogram.reset();
    since = performance.eventLoopUtilization();
  });
  process.once('exit', () => {
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const report: LoopProbeReport = {
      delay: { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) },
      utilization: Math.round(performance.eventLoopUtilization(since).utilization * 1000) / 1000,
    };
    writeFileSync(file, JSON.stringify(report));
  });
}
