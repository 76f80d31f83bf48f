/**
 * Postgres start-up: connect with bounded retries (a server still booting is normal during a deploy; a
 * server that never answers becomes StorageUnavailableError — the process reports not-ready, it does not
 * crash-loop), then apply the numbered migrations in ONE transaction under pg_advisory_xact_lock, so two
 * processes starting together migrate once: the second waits for the lock and then finds nothing to do.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { StorageSchemaError, StorageUnavailableError } from '../errors.js';
import { loadMigrations, pendingMigrations, renderMigration } from './migrate.js';
import { checkOut, type CheckedOutClient } from './pg-types.js';

export interface PostgresTarget {
  schema: string;
  prefix: string;
  /** `host:port/database` — for messages; never the password. */
  where: string;
}

/** SQLSTATEs that mean "the server is not (yet) there", worth retrying: connection failures, starting up, too many clients. */
const RETRYABLE_SQLSTATES = new Set(['57P03', '53300', '08000', '08001', '08003', '08004', '08006']);

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return true; // socket errors without a code, timeouts
  return RETRYABLE_SQLSTATES.has(code) || /^E[A-Z]+$/.test(code); // ECONNREFUSED, ENOTFOUND, ETIMEDOUT, …
}

export async function connectWithRetry(
  pool: pg.Pool,
  target: PostgresTarget,
  attempts: number,
  firstDelayMs: number,
): Promise<CheckedOutClient> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await checkOut(pool);
    } catch (error) {
      lastError = error;
      if (!isRetryable(error)) break;
      if (attempt < attempts) await sleep(Math.min(firstDelayMs * 2 ** (attempt - 1), 5_000));
    }
  }
  const reason = lastError instanceof Error ? lastError.message || (lastError as { code?: string }).code : String(lastError);
  throw new StorageUnavailableError(
    `Postgres at ${target.where} is unreachable after ${attempts} attempts (${reason}). ` +
      'Check DATABASE_URL and that the server is up; zapflow reports not-ready until it can connect.',
    { cause: lastError },
  );
}

export async function migratePostgres(client: pg.PoolClient, target: PostgresTarget): Promise<void> {
  const { schema, prefix } = target;
  const migrationsTable = `${prefix}schema_migrations`;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`zapflow:migrate:${schema}.${prefix}`]);
    const schemaExists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (schemaExists.rowCount === 0) await client.query(`CREATE SCHEMA "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    const ours = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND left(table_name, length($2)) = $2',
      [schema, prefix],
    );
    const tables = ours.rows.map((row) => row.table_name);
    if (!tables.includes(migrationsTable)) {
      if (tables.length > 0) {
        throw new StorageSchemaError(
          `Schema "${schema}" at ${target.where} has tables named ${prefix}* (${tables.slice(0, 5).join(', ')}) that zapflow did not create ` +
            `(no ${migrationsTable} table). Use another tableName or schema, or remove those tables.`,
        );
      }
      await client.query(`CREATE TABLE ${migrationsTable} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${migrationsTable}`);
    const pending = pendingMigrations(loadMigrations('postgres'), applied.rows.map((row) => row.version), `Postgres schema "${schema}" at ${target.where} (tables ${prefix}*)`);
    for (const migration of pending) {
      await client.query(renderMigration(migration, prefix));
      await client.query(`INSERT INTO ${migrationsTable} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
