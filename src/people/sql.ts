/**
 * The little SQL the people tables need, on SQLite or Postgres alike: statements are written once with `?`
 * placeholders and `{p}` for the table prefix; Postgres gets `$1, $2, …` and its schema-qualified prefix.
 * Both open through the service store's migrations (users, sessions, tokens and audit are service tables).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { connectWithRetry, openSqlite, ownedPool, PG_RAW_TYPES, SqliteConnection } from '../engine/storage-kit.js';
import { migrateServicePostgres, migrateServiceSqlite } from '../conversations/store/migrate.js';

export type SqlRow = Record<string, unknown>;

export interface SqlRunner {
  all(sql: string, params?: unknown[]): Promise<SqlRow[]>;
  /** How many rows the statement changed. */
  run(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export function sqliteRunner(options: { dbFile: string; prefix: string }): SqlRunner {
  const db: Database.Database = openSqlite({
    dbFile: options.dbFile,
    prefix: options.prefix,
    synchronous: 'normal',
    busyTimeoutMs: 5000,
    migrate: (opened, file) => opened.transaction(() => migrateServiceSqlite(opened, file, options.prefix)).immediate(),
  });
  // Prepared once per SQL text, parameters pinned (see SqliteConnection): a console request checks its session here.
  const connection = new SqliteConnection(`the people tables (${options.dbFile})`, options.prefix);
  connection.open(db);
  const bind = (params: unknown[]) => params.map((value) => (typeof value === 'boolean' ? Number(value) : value ?? null));
  return {
    all: async (sql, params = []) => connection.sql(sql).all(...bind(params)) as SqlRow[],
    run: async (sql, params = []) => connection.sql(sql).run(...bind(params)).changes,
    close: async () => connection.close(),
  };
}

export async function postgresRunner(options: { dbUrl: string; prefix: string; schema?: string }): Promise<SqlRunner> {
  const schema = options.schema ?? 'public';
  const pool: pg.Pool = ownedPool(options.dbUrl, 3);
  const { client, release } = await connectWithRetry(pool, { schema, prefix: options.prefix, where: 'people store' }, 5, 250);
  try {
    await migrateServicePostgres(client, schema, options.prefix, 'people store');
  } finally {
    release();
  }
  const render = (sql: string) => {
    let index = 0;
    return sql.replaceAll('{p}', `"${schema}".${options.prefix}`).replace(/\?/g, () => `$${++index}`);
  };
  const bind = (params: unknown[]) => params.map((value) => value ?? null);
  return {
    all: async (sql, params = []) => (await pool.query<SqlRow>({ text: render(sql), values: bind(params), types: PG_RAW_TYPES })).rows,
    run: async (sql, params = []) => (await pool.query({ text: render(sql), values: bind(params), types: PG_RAW_TYPES })).rowCount ?? 0,
    close: () => pool.end(),
  };
}
