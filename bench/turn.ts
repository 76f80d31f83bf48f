/**
 * `npm run bench:turn` — the CPU a customer's turn costs, measured from outside (issue 21).
 *
 * A real `zapflow serve` (embedded SQLite, embedded model, Meta sender pointed at a fake Graph API on
 * 127.0.0.1) gets N single-message conversations as signed Meta webhooks. The serve process's CPU
 * (utime + stime of every thread, /proc/<pid>/stat) is read before the first webhook and after the last reply
 * was delivered and nothing is pending. The same N webhooks are then sent to a fresh service with processing
 * held back (`COALESCE_WINDOW_MS=60000`: every conversation waits in its coalescing window for longer than the
 * measurement), which prices the acks alone. total − ack = what the turns cost. The bytes the process hands
 * to write syscalls (/proc/<pid>/io) are priced the same way: SQLite rewrites every page a commit touches, so
 * "KB written a turn" shows how many commits a turn costs.
 *
 * Both services first take a warm-up of the same shape (processed, or held back), so the JIT has compiled the
 * paths before the measured conversations, as in a service that has been up for a while: V8 keeps optimizing
 * functions for thousands of turns (with a 100-conversation warm-up its background compiler was ~9 % of the
 * measured CPU, and the turn measured ~0.7 ms more than after 4,000). Median of `--repeat` (default 3) sittings,
 * each measuring both. The window is 1,600 conversations: what comes in bursts (a major garbage collection, the
 * compiler still optimizing) falls in a 400-conversation window or not, and such windows measured the same
 * service ~0.5 ms a turn higher and further apart (idle, the service spends ~12 ms of CPU a second).
 *
 *   npm run bench:turn                         # 1,600 conversations after 3,000, 3 sittings (~2 min)
 *   npm run bench:turn -- --conversations 400 --warmup 100   # the window the issue measured (see bench/README)
 *   npm run bench:turn -- --repeat 1 --conversations 200
 *   npm run bench:turn -- --prior-turns 20 --conversations 400 --warmup 1000   # turn 21 of long conversations
 *   npm run bench:turn -- --cpu-prof /tmp/turn-prof   # a V8 CPU profile of each processing service
 *   npm run bench:turn -- --perf /tmp/turn.perf       # Linux perf of the measured window (all threads, native)
 *   BENCH_TURN_NODE_FLAGS="--trace-deopt" npm run bench:turn   # V8 flags for the service (NODE_OPTIONS refuses them)
 *
 * Loopback only; every process it starts is stopped before it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../test/helpers/fake-meta.js';
import { table } from './lib.js';
import { BENCH_AGENTS, conversations, drained, median, monotonicUs, processCpuMs, processWrittenKb, sendAll, Service } from './turn-harness.js';
import { freePort } from './webhook-harness.js';

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '1600' },
    warmup: { type: 'string', default: '3000' },
    repeat: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
    /** `perf record` (Linux perf, if installed) of the processing service during the measured window, into this file. */
    perf: { type: 'string' },
    /** Webhooks in flight at once (a keep-alive client, as Meta's). */
    concurrency: { type: 'string', default: '8' },
    /**
     * Turns each measured conversation has had before the measured one (processed and drained, not measured):
     * the measured message is then turn N + 1 of a conversation with its history, its case and its state.
     */
    'prior-turns': { type: 'string', default: '0' },
  },
});
const CONVERSATIONS = Number(args.conversations);
const WARMUP = Number(args.warmup);
const REPEAT = Number(args.repeat);
const CONCURRENCY = Number(args.concurrency);
const PRIOR_TURNS = Number(args['prior-turns']);

interface Sitting {
  /** Messages to the agents' alert numbers during the measured window (0: every measured turn was the bot's). */
  toAgents: number;
  ackMsPerMessage: number;
  totalMsPerMessage: number;
  turnMs: number;
  /** KB handed to write syscalls per turn (processing service − acks alone, per message). */
  turnWrittenKb: number;
  /** Wall time of the measured processing (first webhook → drained). */
  processingWallS: number;
  load1: number;
}

async function sitting(index: number): Promise<Sitting> {
  const meta = await startFakeMeta();
  const senderEnv = { META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: FAKE_META_DEFAULTS.phoneNumberId, META_GRAPH_URL: meta.url };
  const load1 = loadavg()[0]!;
  // Customers numbered per sitting, so nothing is carried from one service to the next.
  const base = index * (WARMUP + CONVERSATIONS) * 2;
  try {
    // Processing: warm-up conversations drained first, then the measured ones.
    const processing = new Service(await freePort(), senderEnv, { cpuProfDir: args['cpu-prof'] });
    let totalMs: number;
    let totalKb: number;
    let processingWallS: number;
    let toAgents: number;
    try {
      await processing.start();
      await sendAll(processing.url, conversations(base, WARMUP), CONCURRENCY);
      await drained(processing, meta, WARMUP);
      for (let turn = 1; turn <= PRIOR_TURNS; turn++) {
        await sendAll(processing.url, conversations(base + WARMUP, CONVERSATIONS, turn), CONCURRENCY);
        await drained(processing, meta, WARMUP + turn * CONVERSATIONS);
      }
      const acceptedBefore = meta.accepted.length;
      const perf = args.perf ? await startPerf(processing.pid, args.perf) : undefined;
      const before = processCpuMs(processing.pid);
      const writtenBefore = processWrittenKb(processing.pid);
      const t0 = performance.now();
      const windowStartUs = monotonicUs();
      await sendAll(processing.url, conversations(base + WARMUP, CONVERSATIONS, PRIOR_TURNS + 1), CONCURRENCY);
      await drained(processing, meta, acceptedBefore + CONVERSATIONS);
      toAgents = meta.accepted.slice(acceptedBefore).filter((r) => BENCH_AGENTS.includes(String((r.body as { to?: unknown }).to))).length;
      totalMs = processCpuMs(processing.pid) - before;
      totalKb = processWrittenKb(processing.pid) - writtenBefore;
      processingWallS = (performance.now() - t0) / 1000;
      if (perf) await stopPerf(perf);
      // The profile's sample times are on the same monotonic clock: bench/turn-profile.ts keeps only this window.
      if (args['cpu-prof']) writeFileSync(join(args['cpu-prof'], `window-${processing.pid}.json`), JSON.stringify({ pid: processing.pid, startUs: windowStartUs, endUs: monotonicUs(), conversations: CONVERSATIONS }));
    } finally {
      await processing.stop();
    }
    // Acks alone: the same shape, processing held back for longer than the phase lasts.
    const held = new Service(await freePort(), { ...senderEnv, COALESCE_WINDOW_MS: '60000' });
    let ackMs: number;
    let ackKb: number;
    try {
      await held.start();
      await sendAll(held.url, conversations(base + WARMUP + CONVERSATIONS, WARMUP), CONCURRENCY);
      for (let turn = 1; turn <= PRIOR_TURNS; turn++) await sendAll(held.url, conversations(base + 2 * WARMUP + CONVERSATIONS, CONVERSATIONS, turn), CONCURRENCY);
      const acceptedBefore = meta.accepted.length;
      const before = processCpuMs(held.pid);
      const writtenBefore = processWrittenKb(held.pid);
      await sendAll(held.url, conversations(base + 2 * WARMUP + CONVERSATIONS, CONVERSATIONS, PRIOR_TURNS + 1), CONCURRENCY);
      // The inbox commit is part of the ack; whatever trails it (the worker hearing of the keys) settles here.
      await new Promise((resolve) => setTimeout(resolve, 200));
      ackMs = processCpuMs(held.pid) - before;
      ackKb = processWrittenKb(held.pid) - writtenBefore;
      if (meta.accepted.length > acceptedBefore) throw new Error('processing was not held back: replies were sent');
    } finally {
      await held.stop();
    }
    if (meta.violations.length > 0) throw new Error(`fake Meta saw bad requests: ${meta.violations.join('; ')}`);
    const ackMsPerMessage = ackMs / CONVERSATIONS;
    const totalMsPerMessage = totalMs / CONVERSATIONS;
    return {
      ackMsPerMessage, totalMsPerMessage, turnMs: totalMsPerMessage - ackMsPerMessage, turnWrittenKb: (totalKb - ackKb) / CONVERSATIONS, processingWallS, load1, toAgents,
    };
  } finally {
    await meta.close();
  }
}

/**
 * `perf record` of one process: sees what the V8 profile cannot — native code (SQLite, libc), the kernel, the
 * garbage collector's and the compiler's background threads — all of which /proc counts as the process's CPU.
 * Started with `--perf-basic-prof` in NODE_OPTIONS, `perf report` also names the JIT-compiled JS functions.
 */
async function startPerf(pid: number, file: string): Promise<ChildProcess> {
  const perf = spawn('perf', ['record', '-F', '999', '-g', '-p', String(pid), '-o', file], { stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (perf.exitCode !== null) throw new Error('perf record did not start (is Linux perf installed, perf_event_paranoid low enough?)');
  return perf;
}

async function stopPerf(perf: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => perf.once('exit', () => resolve()));
  perf.kill('SIGINT');
  await exited;
}

const ms = (value: number): string => value.toFixed(2);

if (args['cpu-prof']) mkdirSync(args['cpu-prof'], { recursive: true });
const sittings: Sitting[] = [];
for (let i = 0; i < REPEAT; i++) {
  const result = await sitting(i);
  sittings.push(result);
  console.log(`sitting ${i + 1}/${REPEAT}: ack ${ms(result.ackMsPerMessage)} ms/msg, total ${ms(result.totalMsPerMessage)} ms/msg, turn ${ms(result.turnMs)} ms, ${result.turnWrittenKb.toFixed(0)} KB written a turn, ${result.toAgents} messages to the agents (load ${result.load1.toFixed(1)})`);
}
const summary = {
  ackMsPerMessage: median(sittings.map((s) => s.ackMsPerMessage)),
  totalMsPerMessage: median(sittings.map((s) => s.totalMsPerMessage)),
  turnMs: median(sittings.map((s) => s.turnMs)),
  turnWrittenKb: median(sittings.map((s) => s.turnWrittenKb)),
};
const shape = PRIOR_TURNS > 0 ? `conversations at their turn ${PRIOR_TURNS + 1}` : 'single-message conversations';
console.log(`\n${CONVERSATIONS} ${shape} per sitting, ${WARMUP} warm-up, median of ${REPEAT} (load average ${sittings.map((s) => s.load1.toFixed(1)).join(' / ')})\n`);
console.log(table(
  ['', 'ack CPU ms/msg', 'total CPU ms/msg', 'turn CPU ms (total − ack)', 'KB written a turn', 'target'],
  [
    ...sittings.map((s, i) => [`sitting ${i + 1}`, ms(s.ackMsPerMessage), ms(s.totalMsPerMessage), ms(s.turnMs), s.turnWrittenKb.toFixed(0), '']),
    ['median', ms(summary.ackMsPerMessage), ms(summary.totalMsPerMessage), ms(summary.turnMs), summary.turnWrittenKb.toFixed(0), summary.turnMs <= 1.5 ? '≤ 1.5 ✔' : '≤ 1.5 ✘'],
  ],
));
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'turn.json'), JSON.stringify({ conversations: CONVERSATIONS, warmup: WARMUP, priorTurns: PRIOR_TURNS, sittings, summary }, null, 2));
