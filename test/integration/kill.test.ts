/**
 * The proof of durability (issue 4): a real child process runs the 50-step workflow (Parallel, Loop, Router)
 * on SQLite and on Postgres and is SIGKILLed at random moments — ≥ 10 times per storage, ≥ 20 in total —
 * and restarted each time. Afterwards every run has completed exactly once with the result an uninterrupted
 * run gives, no completed step ran twice, and the step in flight at a kill ran at most twice.
 * A second test starts two processes recovering at once: each interrupted run is resumed by exactly one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStorage, PostgresStorage, SqliteStorage } from '../../src/engine/index.js';
import type { Storage } from '../../src/engine/index.js';
import { LEAF_STEPS, buildKillWorkflow } from '../helpers/kill-workflow.js';
import { Worker, readExecutions, seededRandom, unexplainedReexecutions } from '../helpers/kill-harness.js';
import type { WorkerEnv } from '../helpers/kill-harness.js';
import { freshSchema } from '../helpers/postgres.js';
import type { TestSchema } from '../helpers/postgres.js';

const KILLS_PER_STORAGE = 10;
const RUNS = 6;
const laneOf = (stepPath: string): string => (stepPath.startsWith('fanout/') ? stepPath.split('/').slice(0, 2).join('/') : 'main');

interface Target {
  name: 'sqlite' | 'postgres';
  /** Worker environment for a fresh database; `open()` reads it from the test process. */
  fresh(label: string): Promise<{ env: Omit<WorkerEnv, 'ZF_GENERATION' | 'ZF_MODE' | 'ZF_RUNS'>; open(): Promise<Storage> }>;
}

let dir = '';
let schema: TestSchema | undefined;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-kill-'));
  schema = await freshSchema('kill');
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await schema?.drop();
});

const targets: Target[] = [
  {
    name: 'sqlite',
    async fresh(label) {
      const dbFile = join(dir, `${label}.db`);
      return {
        env: { ZF_STORAGE: 'sqlite', ZF_DB_FILE: dbFile, ZF_EXECUTIONS_FILE: join(dir, `${label}.executions.db`) },
        open: async () => {
          const storage = new SqliteStorage({ dbFile });
          await storage.init();
          return storage;
        },
      };
    },
  },
  {
    name: 'postgres',
    async fresh(label) {
      const { databaseUrl, schema: base } = schema!;
      const pgSchema = `${base}_${label}`;
      return {
        env: { ZF_STORAGE: 'postgres', ZF_DB_URL: databaseUrl, ZF_SCHEMA: pgSchema, ZF_EXECUTIONS_FILE: join(dir, `pg-${label}.executions.db`) },
        open: async () => {
          const storage = new PostgresStorage({ dbUrl: databaseUrl, schema: pgSchema, poolSize: 2 });
          await storage.init();
          return storage;
        },
      };
    },
  },
];

/** What uninterrupted runs give: same workflow, same inputs, in memory. */
interface Expected { content: unknown; state: unknown; outputs: Map<string, unknown>; executed: string[] }

async function reference(runIds: string[]): Promise<Map<string, Expected>> {
  const storage = new MemoryStorage();
  const executed = new Map<string, string[]>();
  const workflow = buildKillWorkflow({ storage, record: (runId, stepPath) => executed.set(runId, [...(executed.get(runId) ?? []), stepPath]) });
  const expected = new Map<string, Expected>();
  for (const [i, runId] of runIds.entries()) {
    const result = await workflow.run({ runId, sessionId: `conv-${i}`, message: { customer: i } });
    const outputs = new Map((await storage.getStepResults(runId)).map((step) => [step.stepPath, step.output]));
    expected.set(runId, { content: result.content, state: (await storage.getSession(`conv-${i}`))?.state, outputs, executed: (executed.get(runId) ?? []).sort() });
  }
  return expected;
}

/** Every run completed once, with the uninterrupted result, state and step outputs. */
async function expectSameAsUninterrupted(storage: Storage, runIds: string[], executionsFile: string): Promise<void> {
  const expected = await reference(runIds);
  const executions = readExecutions(executionsFile);
  for (const [i, runId] of runIds.entries()) {
    const want = expected.get(runId)!;
    const run = await storage.getRun(runId);
    expect(run?.status, `${runId} status`).toBe('completed');
    expect(run?.content, `${runId} content`).toEqual(want.content);
    expect((await storage.getSession(`conv-${i}`))?.state, `${runId} session state`).toEqual(want.state);
    const completions = (await storage.getEvents(runId)).filter((event) => event.type === 'WorkflowCompleted');
    expect(completions, `${runId} must complete exactly once`).toHaveLength(1);
    const outputs = new Map((await storage.getStepResults(runId)).map((step) => [step.stepPath, step.output]));
    expect(outputs, `${runId} step outputs`).toEqual(want.outputs);
    const executed = [...new Set(executions.filter((e) => e.run_id === runId).map((e) => e.step_path))].sort();
    expect(want.executed, 'the workflow has 50 leaf steps').toHaveLength(LEAF_STEPS);
    expect(executed, `${runId}: every step executed (at least once)`).toEqual(want.executed);
  }
}

describe.each(targets)('kill -9 at random moments: $name', (target) => {
  it(`${RUNS} runs × ${LEAF_STEPS} steps survive ${KILLS_PER_STORAGE} SIGKILLs with no completed step run twice`, async () => {
    const seed = Date.now() % 1_000_000;
    const random = seededRandom(seed);
    const { env, open } = await target.fresh('kills');
    const runIds = Array.from({ length: RUNS }, (_, i) => `run-${i}`);
    const killed = new Set<number>();
    let generation = 0;
    while (killed.size < KILLS_PER_STORAGE && generation < KILLS_PER_STORAGE * 3) {
      const worker = new Worker({ ...env, ZF_GENERATION: String(generation), ZF_MODE: 'run', ZF_RUNS: String(RUNS) });
      // Mostly mid-step, after a random number of step executions (≤ 20, so 10 kills can never use up the
      // 300 steps of work); sometimes at a random instant of the boot (migrations, recovery, run creation).
      if (random() < 0.7) {
        const after = 1 + Math.floor(random() * 20);
        await worker.until(() => worker.executions >= after, 20_000);
      } else {
        // A random instant of the boot: a random time, cut short once the first steps run (a fast boot would
        // otherwise let the whole workload finish before ten kills are delivered).
        const firstSteps = 1 + Math.floor(random() * 3);
        const bootMs = Math.floor(random() * 600);
        await Promise.race([
          new Promise((resolve) => setTimeout(resolve, bootMs)),
          worker.until(() => worker.executions >= firstSteps, bootMs + 1000).catch(() => undefined),
        ]);
      }
      if (await worker.kill()) killed.add(generation);
      else expect(worker.lines.at(-1), `generation ${generation} ended by itself: ${worker.stderr}`).toBe('all-done');
      generation++;
    }
    expect(killed.size, `seed ${seed}: kills delivered`).toBeGreaterThanOrEqual(KILLS_PER_STORAGE);

    const last = new Worker({ ...env, ZF_GENERATION: String(generation), ZF_MODE: 'run', ZF_RUNS: String(RUNS) });
    expect(await last.exited, `final generation: ${last.stderr}`).toBe(0);
    expect(last.lines.at(-1)).toBe('all-done');

    const storage = await open();
    try {
      await expectSameAsUninterrupted(storage, runIds, env.ZF_EXECUTIONS_FILE);
    } finally {
      await storage.close();
    }
    expect(unexplainedReexecutions(readExecutions(env.ZF_EXECUTIONS_FILE), killed, laneOf, 6), `seed ${seed}`).toEqual([]);
  }, 180_000);

  it('two processes recovering at once: each interrupted run is resumed by exactly one of them', async () => {
    const { env, open } = await target.fresh('twins');
    const runs = 8;
    const runIds = Array.from({ length: runs }, (_, i) => `run-${i}`);
    const first = new Worker({ ...env, ZF_GENERATION: '0', ZF_MODE: 'run', ZF_RUNS: String(runs) });
    expect(await first.until(() => first.lines.includes('created') && first.executions >= 40, 30_000), first.stderr).toBe(true);
    expect(await first.kill(), 'the first process was killed mid-run').toBe(true);

    const storage = await open();
    try {
      const interrupted = (await storage.listRuns({ status: 'running' })).runs.map((run) => run.runId).sort();
      expect(interrupted.length).toBeGreaterThan(1);

      const twins = [1, 2].map(() => new Worker({ ...env, ZF_GENERATION: '1', ZF_MODE: 'recover', ZF_RUNS: String(runs) }));
      const codes = await Promise.all(twins.map((twin) => twin.exited));
      expect(codes, twins.map((twin) => twin.stderr).join('\n')).toEqual([0, 0]);
      const resumedBy = twins.map((twin) => twin.lines.filter((line) => line.startsWith('resumed ')).map((line) => line.slice(8)));
      const all = resumedBy.flat().sort();
      expect(all, 'every interrupted run resumed, none twice').toEqual(interrupted);

      await expectSameAsUninterrupted(storage, runIds, env.ZF_EXECUTIONS_FILE);
    } finally {
      await storage.close();
    }
    expect(unexplainedReexecutions(readExecutions(env.ZF_EXECUTIONS_FILE), new Set([0]), laneOf, 6)).toEqual([]);
  }, 120_000);
});
