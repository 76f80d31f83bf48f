/**
 * A fresh Postgres schema per test file, dropped after: tests never see each other's rows.
 * Usage: `const pg = await freshSchema('storage_contract'); … await pg.drop();`
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export interface TestSchema {
  /** Connection string of the test server (a real PostgreSQL). */
  databaseUrl: string;
  /** The schema created for this test file. */
  schema: string;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

export function testDatabaseUrl(): string {
  return inject('databaseUrl');
}

export async function freshSchema(prefix: string): Promise<TestSchema> {
  const databaseUrl = testDatabaseUrl();
  const schema = `t_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA "${schema}"`);
  } finally {
    await client.end();
  }
  return {
    databaseUrl,
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      try {
        // With the schemas a test derived from this one (`<schema>_<label>`, the kill tests' per-scenario ones):
        // dropping the base alone left them, with their tables, in the developer's database after every run.
        const { rows } = await c.query<{ name: string }>(
          'SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name = $1 OR starts_with(schema_name, $1 || \'_\')', [schema],
        );
        for (const { name } of rows) await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}
