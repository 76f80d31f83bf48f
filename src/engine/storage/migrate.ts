/**
 * Numbered SQL migrations (graphile-worker's habit): `migrations/<dialect>/000001_init.sql`, `000002_….sql`,
 * applied in order at start, each recorded in `<prefix>schema_migrations`. This file only finds, checks and
 * renders them; each storage applies them in its own transaction under its own lock.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StorageSchemaError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  /** SQL with `{{prefix}}` still in it. */
  sql: string;
}

const FILE_NAME = /^(\d{6})_([a-z0-9_]+)\.sql$/;
const loaded = new Map<string, Migration[]>();

/** The migrations shipped with this code, in version order (read once per process). */
export function loadMigrations(dialect: 'sqlite' | 'postgres'): Migration[] {
  return loadMigrationsFrom(new URL(`./migrations/${dialect}/`, import.meta.url));
}

/**
 * Numbered `NNNNNN_name.sql` files of a folder, in version order, checked for gaps (read once per folder).
 * Also used by the service tables, which keep their own migration set beside the engine's.
 */
export function loadMigrationsFrom(folder: URL): Migration[] {
  const dir = fileURLToPath(folder);
  const cached = loaded.get(dir);
  if (cached) return cached;
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file): Migration => {
      const match = FILE_NAME.exec(file);
      if (!match?.[1] || !match[2]) throw new Error(`Migration file ${dir}${file} must be named NNNNNN_name.sql`);
      return { version: Number(match[1]), name: match[2], sql: readFileSync(`${dir}${file}`, 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migrations in ${dir} must be numbered 1, 2, 3, … without gaps; found ${migration.version} at position ${index + 1}`);
    }
  });
  loaded.set(dir, migrations);
  return migrations;
}

export function renderMigration(migration: Migration, prefix: string): string {
  return migration.sql.replaceAll('{{prefix}}', prefix);
}

/**
 * Given the versions a database records, returns the migrations still to apply — or refuses a database
 * written by a newer zapflow: running old code on it could corrupt what the new code stored.
 */
export function pendingMigrations(all: Migration[], applied: number[], where: string): Migration[] {
  const known = new Set(all.map((migration) => migration.version));
  const unknown = applied.filter((version) => !known.has(version)).sort((a, b) => b - a);
  if (unknown.length > 0) {
    const newest = all.at(-1)?.version ?? 0;
    throw new StorageSchemaError(
      `${where} has schema version ${unknown[0]}, newer than this zapflow knows (up to ${newest}). ` +
        'It was migrated by a newer zapflow: upgrade zapflow, or point it at another database.',
    );
  }
  const done = new Set(applied);
  return all.filter((migration) => !done.has(migration.version));
}
