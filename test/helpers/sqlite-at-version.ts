/**
 * A zapflow SQLite database as an older release left it, for upgrade tests: a fresh file under a temporary
 * folder with the engine's migrations 1…`version` applied and recorded, then `seed` writes that release's rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations, renderMigration } from '../../src/engine/storage/migrate.js';

export interface OldSqliteDatabase {
  dbFile: string;
  /** Removes the folder and everything in it. */
  remove: () => void;
}

export function sqliteDatabaseAtVersion(prefix: string, version: number, seed: (db: Database.Database) => void): OldSqliteDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'zapflow-upgrade-'));
  const dbFile = join(dir, 'zapflow.db');
  const db = new Database(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE ${prefix}schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL DEFAULT 0)`);
    for (const migration of loadMigrations('sqlite').slice(0, version)) {
      db.exec(renderMigration(migration, prefix));
      db.prepare(`INSERT INTO ${prefix}schema_migrations (version, name) VALUES (?, ?)`).run(migration.version, migration.name);
    }
    seed(db);
  } finally {
    db.close();
  }
  return { dbFile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
