/**
 * Write-behind on Postgres (held mode, `writeBehind: true`): steps that settle without waiting on I/O are held
 * and written with the run's end in one statement. What a user relies on: every step is on disk when the run returns; a step that
 * waits on I/O finds the steps before it on disk; a lost lease or a session another writer changed never lets
 * the run overwrite anything.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseLostError, PostgresStorage, StaleSessionStateError, Step, Workflow } from '../../../src/engine/index.js';
import type { StepExecutor } from '../../../src/engine/index.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';

let schema: TestSchema;
let storage: PostgresStorage;
let other: pg.Client;
let tableCount = 0;
let table = '';

beforeAll(async () => {
  schema = await freshSchema('write_behind');
});
afterAll(async () => {
  await schema.drop();
});

beforeEach(async () => {
  table = `wb${++tableCount}_`;
  storage = new PostgresStorage({ dbUrl: schema.databaseUrl, schema: schema.schema, tableName: table, poolSize: 2, writeBehind: true });
  await storage.init();
  other = new pg.Client({ connectionString: schema.databaseUrl });
  await other.connect();
});

afterEach(async () => {
  await other.end();
  await storage.close();
});

const sixSteps = (first?: StepExecutor): Step[] =>
  Array.from({ length: 6 }, (_, i) => new Step({
    name: `level_${i}`,
    executor: i === 0 && first ? first : async (input) => { input.workflowSessionState[`level_${i}`] = i; return { level: i }; },
  }));

/** Counts the statements the storage sends while `work` runs (node-postgres: one pool.query = one statement). */
async function statementsDuring<T>(work: () => Promise<T>): Promise<{ value: T; statements: number }> {
  const proto = pg.Pool.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  let statements = 0;
  proto.query = function (this: unknown, ...args: unknown[]) {
    statements++;
    return original.apply(this, args);
  };
  try {
    return { value: await work(), statements };
  } finally {
    proto.query = original;
  }
}

const sessionRow = async (sessionId: string): Promise<{ state: unknown; version: number } | undefined> =>
  (await other.query(`SELECT state, version FROM "${schema.schema}".${table}sessions WHERE session_id = $1`, [sessionId])).rows[0] as { state: unknown; version: number } | undefined;

describe('write-behind on Postgres', () => {
  it('a run of steps that wait on no I/O is written with its end: every step, the state and the end in one statement', async () => {
    const workflow = new Workflow({ name: 'typify', storage, steps: sixSteps() });
    const { value: result, statements } = await statementsDuring(() => workflow.run({ message: 'minha maquininha não liga', sessionId: 'meta:ana', runId: 'run-1' }));

    expect(result.status).toBe('completed');
    expect((await storage.getStepResults('run-1')).map((step) => step.stepName)).toEqual(['level_0', 'level_1', 'level_2', 'level_3', 'level_4', 'level_5']);
    expect((await storage.getRun('run-1'))?.status).toBe('completed');
    expect((await sessionRow('meta:ana'))?.state).toMatchObject({ level_0: 0, level_5: 5 });
    // Reading the session, creating the run, then the six steps with the end (was 1 + 1 + 6 + 1).
    expect(statements).toBe(3);
  });

  it('a step that waited on I/O is on disk, with every step before it, before the next step starts', async () => {
    let onDiskAfterIt: string[] = [];
    const workflow = new Workflow({
      name: 'reply',
      storage,
      steps: [
        ...sixSteps().slice(0, 2),
        new Step({ name: 'ask_model', executor: async () => { await new Promise((resolve) => setTimeout(resolve, 5)); return 'resposta'; } }),
        new Step({
          name: 'send',
          executor: async () => {
            const rows = await other.query(`SELECT step_name FROM "${schema.schema}".${table}step_results WHERE run_id = $1 ORDER BY step_name`, ['run-2']);
            onDiskAfterIt = rows.rows.map((row: { step_name: string }) => row.step_name);
            return 'sent';
          },
        }),
      ],
    });
    const result = await workflow.run({ message: 'oi', sessionId: 'meta:bia', runId: 'run-2' });
    expect(result.status).toBe('completed');
    expect(onDiskAfterIt).toEqual(['ask_model', 'level_0', 'level_1']);
    expect((await sessionRow('meta:bia'))?.state).toEqual({ level_0: 0, level_1: 1 });
  });

  it('a lease lost under a run: nothing of it is written, the other holder keeps the run', async () => {
    const workflow = new Workflow({
      name: 'typify',
      storage,
      steps: sixSteps(async (input) => {
        await other.query(`UPDATE "${schema.schema}".${table}runs SET lease_owner = 'worker-new' WHERE run_id = $1`, ['run-3']);
        input.workflowSessionState.level_0 = 0;
        return { level: 0 };
      }),
    });
    const outcome = await workflow.run({ message: 'oi', sessionId: 'meta:caio', runId: 'run-3' }).then(() => 'finished', (error: unknown) => error);
    expect(outcome).toBeInstanceOf(LeaseLostError);
    expect(await storage.getStepResults('run-3')).toEqual([]);
    expect(await storage.getRun('run-3')).toMatchObject({ status: 'running', leaseOwner: 'worker-new' });
    expect(await sessionRow('meta:caio')).toBeUndefined();
  });

  it('a session another writer changed mid-run is never overwritten: the run ends in error', async () => {
    const greet = new Workflow({ name: 'greet', storage, steps: [new Step({ name: 'greet', executor: (input) => { input.workflowSessionState.greeted = true; return 'oi'; } })] });
    await greet.run({ message: 'primeira', sessionId: 'meta:duda', runId: 'run-4a' });
    const racing = new Workflow({
      name: 'typify',
      storage,
      steps: [
        // Waits on I/O without touching the state; meanwhile an agent's action in another process saves the state.
        new Step({ name: 'look_up', executor: async () => {
          await other.query(`UPDATE "${schema.schema}".${table}sessions SET state = '{"agentNote":"cliente VIP"}', version = version + 1 WHERE session_id = $1`, ['meta:duda']);
          return 'ok';
        } }),
        ...sixSteps(), // held, their state written with the end: refused, as the version moved
      ],
    });
    const result = await racing.run({ message: 'segunda', sessionId: 'meta:duda', runId: 'run-4b' });
    expect(result.status).toBe('error');
    expect(result.error).toBeInstanceOf(StaleSessionStateError);
    expect((await storage.getRun('run-4b'))?.status).toBe('error');
    expect((await sessionRow('meta:duda'))?.state).toEqual({ agentNote: 'cliente VIP' });
  });
});
