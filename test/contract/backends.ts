/**
 * The three storages the contract suite runs against. Each test gets its own database: a fresh SQLite file,
 * or fresh tables (a new table prefix) inside this file's Postgres schema. `open()` returns another Storage
 * instance on the same database, so races between two processes' instances can be tested.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryStorage } from '../../src/engine/storage/memory.js';
import { PostgresStorage } from '../../src/engine/storage/postgres.js';
import { SqliteStorage } from '../../src/engine/storage/sqlite.js';
import type { Storage } from '../../src/engine/storage/types.js';
import { freshSchema } from '../helpers/postgres.js';
import type { TestSchema } from '../helpers/postgres.js';

export interface TestDatabase {
  /** A new, initialised Storage instance on this test's database (memory: the same instance). */
  open(): Promise<Storage>;
  /** SQLite file or Postgres schema + prefix, for tests that look at the database itself. */
  location: { dbFile?: string; databaseUrl?: string; schema?: string; tableName: string };
}

export interface Backend {
  name: 'memory' | 'sqlite' | 'postgres';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  newDatabase(): TestDatabase;
  /** Closes every instance opened since the last call. */
  closeAll(): Promise<void>;
}

function tracking(): { track(storage: Storage): Promise<Storage>; closeAll(): Promise<void> } {
  let opened: Storage[] = [];
  return {
    async track(storage) {
      opened.push(storage);
      await storage.init();
      return storage;
    },
    async closeAll() {
      const closing = opened;
      opened = [];
      await Promise.all(closing.map((storage) => storage.close()));
    },
  };
}

export function memoryBackend(): Backend {
  return {
    name: 'memory',
    async setup() {},
    async teardown() {},
    newDatabase() {
      const shared = new MemoryStorage();
      return { open: async () => shared, location: { tableName: '' } };
    },
    async closeAll() {},
  };
}

export function sqliteBackend(): Backend {
  let dir = '';
  let count = 0;
  const opened = tracking();
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'zapflow-contract-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    newDatabase() {
      const dbFile = join(dir, `db${++count}.db`);
      return {
        open: () => opened.track(new SqliteStorage({ dbFile })),
        location: { dbFile, tableName: 'zapflow_' },
      };
    },
    closeAll: opened.closeAll,
  };
}

export function postgresBackend(): Backend {
  let schema: TestSchema | undefined;
  let count = 0;
  const opened = tracking();
  return {
    name: 'postgres',
    async setup() {
      schema = await freshSchema('storage_contract');
    },
    async teardown() {
      await schema?.drop();
    },
    newDatabase() {
      if (!schema) throw new Error('postgres backend: setup() did not run');
      const { databaseUrl, schema: name } = schema;
      const tableName = `t${++count}_`;
      return {
        open: () => opened.track(new PostgresStorage({ dbUrl: databaseUrl, schema: name, tableName, poolSize: 4 })),
        location: { databaseUrl, schema: name, tableName },
      };
    },
    closeAll: opened.closeAll,
  };
}
