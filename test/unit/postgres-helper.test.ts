import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, type TestSchema } from '../helpers/postgres.js';

describe('test Postgres server', () => {
  let schema: TestSchema | undefined;
  afterAll(async () => schema?.drop());

  it('gives each test file its own schema on a real server that supports SKIP LOCKED across connections', async () => {
    schema = await freshSchema('helper');
    const a = new pg.Client({ connectionString: schema.databaseUrl });
    const b = new pg.Client({ connectionString: schema.databaseUrl });
    await a.connect();
    await b.connect();
    try {
      await a.query(`CREATE TABLE "${schema.schema}".jobs (id int primary key)`);
      await a.query(`INSERT INTO "${schema.schema}".jobs VALUES (1), (2)`);
      await a.query('BEGIN');
      const first = await a.query(`SELECT id FROM "${schema.schema}".jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`);
      const second = await b.query(`SELECT id FROM "${schema.schema}".jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`);
      await a.query('COMMIT');
      expect(first.rows[0]?.id).toBe(1);
      expect(second.rows[0]?.id).toBe(2);
    } finally {
      await a.end();
      await b.end();
    }
  });
});
