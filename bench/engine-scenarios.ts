/**
 * The engine benchmark's scenarios, the same shapes as ../shared/peers-bench (trivial work n → n + 1, every
 * result checked): seq100, par50 (+ join), loop100, runs1000 of a 3-step workflow (sequential, 50 at a time).
 * Each group runs in its own fresh process (see engine.ts).
 */
import type { Durability, StepInput, Storage } from '../src/engine/index.js';
import { Loop, Parallel, Step, Workflow } from '../src/engine/index.js';
import type { Row } from './lib.js';
import { expectEq, measure, pool, row } from './lib.js';

const RUNS = 1000;
/** The peers' counts (warm-up, samples), with a sampling window about as long as theirs (see minWindowMs). */
const SAMPLING = { warmup: 10, reps: 30, minWindowMs: 500 };
const RUNS_SAMPLING = { warmup: 1, reps: 5, minWindowMs: 1000 };

const previous = (input: StepInput): number => (input.previousStepContent as number | undefined) ?? (input.message as number);
const inc = (name: string): Step => new Step({ name, executor: (input) => previous(input) + 1 });

/**
 * Bench-only: a storage that keeps nothing, to measure the orchestration alone (what Mastra's and
 * LangGraph's `default` variants do: no storage at all). Never use it in an app: nothing is durable.
 * Plain methods returning shared settled promises, so the storage itself allocates nothing per call.
 */
function nullStorage(): Storage {
  const written = Promise.resolve({});
  const nothing = Promise.resolve(undefined);
  const none = Promise.resolve([]);
  const no = Promise.resolve(false);
  return {
    kind: 'null',
    init: () => nothing, close: () => nothing, ping: () => nothing,
    getSession: () => nothing, saveSession: () => Promise.resolve(1),
    createRun: () => nothing, getRun: () => nothing, listRuns: () => Promise.resolve({ runs: [], total: 0 }),
    finishRun: () => written, markResumed: () => no,
    commitStep: () => written, getStepResults: () => none,
    appendEvents: () => nothing, getEvents: () => none,
    heartbeat: () => Promise.resolve(0), claimExpiredRuns: () => none,
    tryAcquireLease: () => no, releaseLease: () => nothing,
    nextSequenceValue: () => Promise.resolve(1),
    enqueueOutbox: () => nothing, claimOutbox: () => none, markOutboxDelivered: () => nothing, markOutboxFailed: () => nothing, extendOutboxClaims: () => nothing,
    listOutbox: () => none, countOutbox: () => Promise.resolve(0), getOutbox: () => nothing, retryOutbox: () => no,
    purge: () => Promise.resolve({ runs: 0, stepResults: 0, events: 0, sessions: 0, outbox: 0 }),
  };
}

function seq(name: string, steps: number, durability: Durability, storage?: Storage): Workflow {
  return new Workflow({ name, durability, storage, steps: Array.from({ length: steps }, (_, i) => inc(`s${i}`)) });
}

function par(width: number, durability: Durability, storage?: Storage): Workflow {
  const branches = Array.from({ length: width }, (_, i) => inc(`p${i}`));
  const join = new Step({ name: 'join', executor: (input) => Object.values(input.previousStepContent as Record<string, number>).reduce((a, b) => a + b, 0) });
  return new Workflow({ name: 'par50', durability, storage, steps: [new Parallel(...branches, { name: 'fan_out' }), join] });
}

function loop(durability: Durability, storage?: Storage): Workflow {
  const body = new Loop({ name: 'loop', steps: [inc('inc')], maxIterations: 1000, exitCondition: (outputs) => (outputs[0]?.content as number) >= 100 });
  return new Workflow({ name: 'loop100', durability, storage, steps: [body] });
}

/** Runs kept by the default in-memory storage are purged between samples (untimed), as retention would. */
const purgeAll = (wf: Workflow) => async (): Promise<void> => {
  await wf.purge({ olderThan: new Date(Date.now() + 60_000) });
};

async function contentOf(wf: Workflow): Promise<unknown> {
  const result = await wf.run({ message: 0 });
  if (result.status !== 'completed') throw new Error(`run ${result.status}: ${result.error?.message ?? ''}`);
  return result.content;
}

async function streamed(wf: Workflow): Promise<unknown> {
  const stream = wf.stream({ message: 0, streamIntermediateSteps: true });
  let events = 0;
  for await (const _event of stream) events++;
  if (events === 0) throw new Error('no events streamed');
  return (await stream.result).content;
}

async function engineGroup(variant: string, durability: Durability, storage?: () => Storage): Promise<Row[]> {
  const rows: Row[] = [];
  const s = seq('seq100', 100, durability, storage?.());
  rows.push(row('zapflow', 'seq100', variant, await measure(() => contentOf(s), { ...SAMPLING, check: (r) => expectEq(r, 100, 'seq100'), beforeSample: purgeAll(s) }), { steps: 100 }));
  const p = par(50, durability, storage?.());
  rows.push(row('zapflow', 'par50', variant, await measure(() => contentOf(p), { ...SAMPLING, check: (r) => expectEq(r, 50, 'par50'), beforeSample: purgeAll(p) }), { steps: 51 }));
  const l = loop(durability, storage?.());
  rows.push(row('zapflow', 'loop100', variant, await measure(() => contentOf(l), { ...SAMPLING, check: (r) => expectEq(r, 100, 'loop100'), beforeSample: purgeAll(l) }), { steps: 100 }));
  const three = seq('seq3', 3, durability, storage?.());
  const oneRun = async (): Promise<void> => expectEq(await contentOf(three), 3, 'run');
  rows.push(row('zapflow', 'runs1000', `${variant} sequential`, await measure(async () => {
    for (let i = 0; i < RUNS; i++) await oneRun();
  }, { ...RUNS_SAMPLING, beforeSample: purgeAll(three) }), { runs: RUNS, steps: 3 * RUNS }));
  rows.push(row('zapflow', 'runs1000', `${variant} concurrency=50`, await measure(() => pool(RUNS, 50, oneRun), { ...RUNS_SAMPLING, beforeSample: purgeAll(three) }), { runs: RUNS, steps: 3 * RUNS }));
  return rows;
}

/** The plain-JS floor, measured in the same sitting: awaited async functions doing the same work. */
async function floorGroup(): Promise<Row[]> {
  const step = async (n: number): Promise<number> => n + 1;
  const seqPlain = async (steps: number): Promise<number> => {
    let n = 0;
    for (let i = 0; i < steps; i++) n = await step(n);
    return n;
  };
  const parPlain = async (): Promise<number> => (await Promise.all(Array.from({ length: 50 }, () => step(0)))).reduce((a, b) => a + b, 0);
  const loopPlain = async (): Promise<number> => {
    let n = 0;
    do n = await step(n);
    while (n < 100);
    return n;
  };
  const fast = { warmup: 200, reps: 30, inner: 200 };
  return [
    row('floor', 'seq100', 'plain JS', await measure(() => seqPlain(100), { ...fast, check: (r) => expectEq(r, 100, 'seq100') }), { steps: 100 }),
    row('floor', 'par50', 'plain JS', await measure(parPlain, { ...fast, check: (r) => expectEq(r, 50, 'par50') }), { steps: 51 }),
    row('floor', 'loop100', 'plain JS', await measure(loopPlain, { ...fast, check: (r) => expectEq(r, 100, 'loop100') }), { steps: 100 }),
    row('floor', 'runs1000', 'plain JS sequential', await measure(async () => {
      for (let i = 0; i < RUNS; i++) expectEq(await seqPlain(3), 3, 'run');
    }, { warmup: 5, reps: 20, inner: 10 }), { runs: RUNS, steps: 3 * RUNS }),
    row('floor', 'runs1000', 'plain JS concurrency=50', await measure(() => pool(RUNS, 50, async () => expectEq(await seqPlain(3), 3, 'run')), { warmup: 5, reps: 20, inner: 10 }), { runs: RUNS, steps: 3 * RUNS }),
  ];
}

async function streamGroup(): Promise<Row[]> {
  const s = seq('seq100', 100, 'sync');
  return [row('zapflow', 'seq100', 'stream (all events consumed)', await measure(() => streamed(s), { ...SAMPLING, check: (r) => expectEq(r, 100, 'seq100 stream'), beforeSample: purgeAll(s) }), { steps: 100 })];
}

export const GROUPS: Record<string, () => Promise<Row[]>> = {
  floor: floorGroup,
  default: () => engineGroup('default (sync, MemoryStorage)', 'sync'),
  exit: () => engineGroup("durability 'exit'", 'exit'),
  orchestration: () => engineGroup('orchestration only (bench-only no-op storage)', 'sync', nullStorage),
  stream: streamGroup,
};
