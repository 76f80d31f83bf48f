import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StorageSchemaError, StorageUnavailableError } from '../../../src/engine/errors.js';
import { loadMigrations } from '../../../src/engine/storage/migrate.js';
import { PostgresStorage } from '../../../src/engine/storage/postgres.js';
import { SqliteStorage } from '../../../src/engine/storage/sqlite.js';
import type { Storage } from '../../../src/engine/storage/types.js';
import type { TestDatabase } from '../backends.js';
import type { ContractContext } from './context.js';

/** Runs SQL straight on the test database (not through Storage), to look at or damage it. */
async function raw(location: TestDatabase['location'], sql: string): Promise<Array<Record<string, unknown>>> {
  if (location.dbFile) {
    const db = new Database(location.dbFile);
    try {
      const statement = db.prepare(sql.replaceAll('{p}', location.tableName));
      return statement.reader ? (statement.all() as Array<Record<string, unknown>>) : (statement.run(), []);
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql.replaceAll('{p}', `"${location.schema}".${location.tableName}`))).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/** A second, not yet initialised storage on a new database of the same kind (new file, or new table prefix). */
function sibling(location: TestDatabase['location'], suffix: string): { storage: () => Storage; location: TestDatabase['location'] } {
  if (location.dbFile) {
    const dbFile = `${location.dbFile}.${suffix}.db`;
    return { storage: () => new SqliteStorage({ dbFile }), location: { dbFile, tableName: 'zapflow_' } };
  }
  const tableName = `${location.tableName}${suffix}_`;
  return {
    storage: () => new PostgresStorage({ dbUrl: location.databaseUrl, schema: location.schema, tableName, poolSize: 2 }),
    location: { ...location, tableName },
  };
}

export function migrationCases(ctx: ContractContext): void {
  if (ctx.backend === 'memory') return; // nothing to migrate
  const latest = loadMigrations(ctx.backend).at(-1)!.version;

  describe('migrations and bad databases', () => {
    it('applies every migration once and records it; opening again is a no-op that keeps the data', async () => {
      await ctx.storage().saveSession('conv-1', { kept: true }, 0, 1);
      const again = await ctx.db().open();
      expect((await again.getSession('conv-1'))?.state).toEqual({ kept: true });
      const versions = await raw(ctx.db().location, 'SELECT version FROM {p}schema_migrations ORDER BY version');
      expect(versions.map((row) => Number(row.version))).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    });

    it('two instances starting at once on a new database migrate it once', async () => {
      const fresh = sibling(ctx.db().location, 'twin');
      const [a, b] = [fresh.storage(), fresh.storage()];
      try {
        await Promise.all([a.init(), b.init()]);
        expect(await a.nextSequenceValue('s')).toBe(1);
        expect(await b.nextSequenceValue('s')).toBe(2);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
      const versions = await raw(fresh.location, 'SELECT version FROM {p}schema_migrations');
      expect(versions).toHaveLength(latest);
    });

    it('refuses a database migrated by a newer zapflow, naming the version', async () => {
      await raw(ctx.db().location, `INSERT INTO {p}schema_migrations (version, name) VALUES (${latest + 41}, 'from_the_future')`);
      const opening = ctx.db().open();
      await expect(opening).rejects.toBeInstanceOf(StorageSchemaError);
      await expect(opening).rejects.toThrow(`schema version ${latest + 41}, newer than this zapflow knows (up to ${latest})`);
    });

    if (ctx.backend === 'sqlite') {
      it('refuses a file that is not a SQLite database', async () => {
        const file = sibling(ctx.db().location, 'text');
        writeFileSync(file.location.dbFile!, 'name,phone\nAna,5511999990000\n'.repeat(200));
        const storage = file.storage();
        await expect(storage.init()).rejects.toThrow(StorageSchemaError);
        await expect(storage.init()).rejects.toThrow(/is not a SQLite database/);
      });

      it("refuses another application's SQLite database", async () => {
        const file = sibling(ctx.db().location, 'foreign');
        const foreign = new Database(file.location.dbFile!);
        foreign.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE orders (id INTEGER PRIMARY KEY)');
        foreign.close();
        await expect(file.storage().init()).rejects.toThrow(/is not a zapflow database: it has tables \(customers, orders\)/);
      });
    }

    if (ctx.backend === 'postgres') {
      it('refuses tables with its prefix that zapflow did not create', async () => {
        const fresh = sibling(ctx.db().location, 'foreign');
        await raw(fresh.location, 'CREATE TABLE {p}runs (id int)');
        const storage = fresh.storage();
        await expect(storage.init()).rejects.toThrow(StorageSchemaError);
        await storage.close();
      });

      it('an unreachable server: bounded retries, then StorageUnavailableError; ping reports not-ready', async () => {
        const storage = new PostgresStorage({ dbUrl: 'postgresql://zapflow:secret-pw@127.0.0.1:1/zapflow', connectAttempts: 3, connectRetryDelayMs: 5 });
        try {
          const init = storage.init();
          await expect(init).rejects.toBeInstanceOf(StorageUnavailableError);
          await expect(init).rejects.toThrow(/127\.0\.0\.1:1.*after 3 attempts/);
          await expect(init).rejects.not.toThrow(/secret-pw/);
          await expect(storage.ping()).rejects.toBeInstanceOf(StorageUnavailableError);
        } finally {
          await storage.close();
        }
      });
    }
  });
}
