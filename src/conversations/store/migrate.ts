/**
 * The service tables' own numbered migrations (`migrations/<dialect>/000001_service.sql`, …), recorded in
 * `<prefix>service_migrations` — apart from the engine's `<prefix>schema_migrations`, so the two sets evolve
 * independently. Checking and rendering reuse the engine's helpers; each dialect applies them in one
 * transaction under its own lock (SQLite: the write lock; Postgres: an advisory lock with its own key).
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { StorageSchemaError } from '../../engine/index.js';
import { loadMigrationsFrom, pendingMigrations, renderMigration } from '../../engine/storage-kit.js';
import type { Migration } from '../../engine/storage-kit.js';

/** The service migrations shipped with this code, in version order. */
export function loadServiceMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  return loadMigrationsFrom(new URL(`./migrations/${dialect}/`, import.meta.url));
}

const migrationsTable = (prefix: string): string => `${prefix}service_migrations`;
const ownTables = (prefix: string): string[] => [`${prefix}inbox`, `${prefix}conversations`];

/** Our tables without our migrations table: someone else's tables under our names. Mixing rows would corrupt both. */
function refuseForeignTables(tables: string[], prefix: string, where: string): void {
  const foreign = ownTables(prefix).filter((name) => tables.includes(name));
  if (foreign.length > 0 && !tables.includes(migrationsTable(prefix))) {
    throw new StorageSchemaError(
      `${where} has tables ${foreign.join(', ')} that zapflow did not create (no ${migrationsTable(prefix)} table). ` +
        'Use another tableName (or schema), or remove those tables.',
    );
  }
}

/** Runs inside the caller's IMMEDIATE transaction: a second process starting at once waits, then finds nothing to do. */
export function migrateServiceSqlite(db: Database.Database, file: string, prefix: string): void {
  const table = migrationsTable(prefix);
  const where = `SQLite database ${file}`;
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as Array<{ name: string }>).map((row) => row.name);
  refuseForeignTables(tables, prefix, where);
  if (!tables.includes(table)) {
    db.exec(`CREATE TABLE ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, ` +
      "applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)))");
  }
  const applied = (db.prepare(`SELECT version FROM ${table}`).all() as Array<{ version: number }>).map((row) => row.version);
  const record = db.prepare(`INSERT INTO ${table} (version, name) VALUES (?, ?)`);
  for (const migration of pendingMigrations(loadServiceMigrations('sqlite'), applied, `${where} (service tables ${prefix}*)`)) {
    db.exec(renderMigration(migration, prefix));
    record.run(migration.version, migration.name);
  }
}

export async function migrateServicePostgres(client: pg.PoolClient, schema: string, prefix: string, where: string): Promise<void> {
  const table = migrationsTable(prefix);
  await client.query('BEGIN');
  try {
    // Not the engine's key: the engine's and the service's migrations may run at the same time.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`zapflow:service-migrate:${schema}.${prefix}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET LOCAL search_path TO "${schema}"`);
    const existing = await client.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name = ANY($2)',
      [schema, [...ownTables(prefix), table]],
    );
    const tables = existing.rows.map((row) => row.table_name);
    refuseForeignTables(tables, prefix, `Schema "${schema}" at ${where}`);
    if (!tables.includes(table)) {
      await client.query(`CREATE TABLE ${table} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    const applied = await client.query<{ version: number }>(`SELECT version FROM ${table}`);
    const pending = pendingMigrations(loadServiceMigrations('postgres'), applied.rows.map((row) => row.version),
      `Postgres schema "${schema}" at ${where} (service tables ${prefix}*)`);
    for (const migration of pending) {
      await client.query(renderMigration(migration, prefix));
      await client.query(`INSERT INTO ${table} (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}
