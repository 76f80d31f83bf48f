/**
 * Group commit on Postgres writes many runs' steps and finishes in one statement whose members arrive as a JSON
 * array. The planner guesses 100 rows for that array, so a plain join against `runs` or `sessions` was planned as
 * a hash join over a sequential scan of the whole table: every batch read every run ever stored, and the
 * throughput of a busy service fell as its history grew (measured: 800–1,800 tuples read per run after 6,500 runs,
 * 3-step runs/s at 50 at once ~1,200 → ~1,800 once fixed: bench/postgres-batches.ts). What a user relies on: with a long history stored, a
 * batch still finds each of its runs and sessions through the primary key.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../../../src/engine/index.js';
import { postgresSql } from '../../../src/engine/storage/postgres-sql.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';

const STORED = 20_000;

let schema: TestSchema;
let client: pg.Client;

beforeAll(async () => {
  schema = await freshSchema('batch_plans');
  const storage = new PostgresStorage({ dbUrl: schema.databaseUrl, schema: schema.schema, poolSize: 1 });
  await storage.init();
  await storage.close();
  client = new pg.Client({ connectionString: schema.databaseUrl });
  await client.connect();
  const t = `"${schema.schema}".zapflow_`;
  // A service's history: many finished runs, one session per conversation.
  await client.query(`INSERT INTO ${t}runs (run_id, workflow_name, session_id, status, input, initial_state, created_at, updated_at, finished_at)
    SELECT 'run-' || g, 'typification', 'conv-' || (g % 5000), 'completed', '{}', '{}', g, g, g FROM generate_series(1, ${STORED}) AS g`);
  await client.query(`INSERT INTO ${t}sessions (session_id, state, version, updated_at)
    SELECT 'conv-' || g, '{}', 3, g FROM generate_series(0, 4999) AS g`);
  await client.query(`ANALYZE ${t}runs`);
  await client.query(`ANALYZE ${t}sessions`);
  // The plan a long-lived connection settles on: prepared statements switch to a generic plan after 5 runs.
  await client.query('SET plan_cache_mode = force_generic_plan');
});

afterAll(async () => {
  await client.end();
  await schema.drop();
});

async function planOf(name: string, text: string, params: number): Promise<string> {
  await client.query(`PREPARE ${name} AS ${text}`);
  const args = Array.from({ length: params }, () => `'[]'`).join(', ');
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE ${name}(${args})`);
  return rows.map((row) => row['QUERY PLAN']).join('\n');
}

describe('Postgres batch statements with a long history stored', () => {
  it.each([
    ['commitSteps', 3],
    ['finishRuns', 3],
  ] as const)('%s finds each member\'s run and session through the primary key (no sequential scan)', async (statement, params) => {
    const sql = postgresSql(`"${schema.schema}".zapflow_`);
    const plan = await planOf(`plan_${statement}`, sql[statement], params);
    expect(plan).toMatch(/zapflow_runs_pkey/);
    expect(plan).not.toMatch(/Seq Scan on zapflow_runs/);
    expect(plan).not.toMatch(/Seq Scan on zapflow_sessions/);
  });
});
