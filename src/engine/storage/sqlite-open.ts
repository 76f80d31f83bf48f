/**
 * Opening a SQLite database for zapflow: WAL mode, durability level, a check that the file is ours, and the
 * numbered migrations applied in one immediate transaction (the write lock keeps two processes that start
 * together from migrating twice: the second waits, then finds nothing left to do).
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import { StorageSchemaError, StorageUnavailableError } from '../errors.js';
import { loadMigrations, pendingMigrations, renderMigration } from './migrate.js';

export interface SqliteOpenOptions {
  dbFile: string;
  prefix: string;
  synchronous: 'normal' | 'full';
  busyTimeoutMs: number;
  /** WAL pages after which a commit on this connection copies the WAL back into the file. @default 1000 (SQLite's) */
  walAutocheckpointPages?: number;
  /** Applies the migrations; the engine's own by default (the service tables pass theirs). */
  migrate?: (db: Database.Database, file: string) => void;
}

const isSqliteError = (error: unknown, code: string): boolean =>
  error instanceof Error && (error as Error & { code?: unknown }).code === code;

/** The native driver, loaded on first open: importing the engine must not load a native addon it may not use. */
let driver: typeof Database | undefined;
const sqliteDriver = (): typeof Database => (driver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);

export function openSqlite(options: SqliteOpenOptions): Database.Database {
  const file = resolve(options.dbFile);
  if (options.dbFile !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  let db: Database.Database;
  try {
    db = new (sqliteDriver())(options.dbFile === ':memory:' ? ':memory:' : file, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw new StorageUnavailableError(`Could not open the SQLite database ${file}: ${(error as Error).message}. Check the path and its permissions.`, { cause: error });
  }
  try {
    configure(db, file, options);
    (options.migrate ?? ((opened, path) => migrate(opened, path, options.prefix)))(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function configure(db: Database.Database, file: string, options: SqliteOpenOptions): void {
  try {
    db.pragma('journal_mode = WAL');
  } catch (error) {
    if (isSqliteError(error, 'SQLITE_NOTADB')) {
      throw new StorageSchemaError(`${file} is not a SQLite database, so it is not a zapflow database. Point dbFile at a new or existing zapflow database file.`, { cause: error });
    }
    throw error;
  }
  // WAL + NORMAL: a commit survives a process kill (the WAL is in the OS page cache); only FULL fsyncs each
  // commit, which a power loss needs.
  db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  // Each write of a group runs in its own savepoint, whose statement journal SQLite spills to a temporary file
  // past 64 KB: a held transaction made ~7 such file writes a turn (strace). In memory they cost a copy.
  db.pragma('temp_store = MEMORY');
  if (options.walAutocheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${Math.max(0, Math.trunc(options.walAutocheckpointPages))}`);
}

function migrate(db: Database.Database, file: string, prefix: string): void {
  const migrationsTable = `${prefix}schema_migrations`;
  const run = db.transaction(() => {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as Array<{ name: string }>)
      .map((row) => row.name);
    if (!tables.includes(migrationsTable)) {
      // Another app's database (or one zapflow did not create): writing our tables into it would mix data.
      if (tables.length > 0 && !tables.some((name) => name.endsWith('schema_migrations'))) {
        throw new StorageSchemaError(
          `${file} is not a zapflow database: it has tables (${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}) ` +
            `but no ${migrationsTable} table. Point dbFile at a new file or at a zapflow database.`,
        );
      }
      db.exec(`CREATE TABLE ${migrationsTable} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, ` +
        "applied_at INTEGER NOT NULL DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)))");
    }
    const applied = (db.prepare(`SELECT version FROM ${migrationsTable}`).all() as Array<{ version: number }>).map((row) => row.version);
    const record = db.prepare(`INSERT INTO ${migrationsTable} (version, name) VALUES (?, ?)`);
    for (const migration of pendingMigrations(loadMigrations('sqlite'), applied, `SQLite database ${file} (tables ${prefix}*)`)) {
      db.exec(renderMigration(migration, prefix));
      record.run(migration.version, migration.name);
    }
  });
  run.immediate();
}
