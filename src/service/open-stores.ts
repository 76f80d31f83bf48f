/**
 * Opening the stores the configuration names — the engine's storage and the service tables — migrated, with
 * the options each thread needs: the request thread's inbox commits that give way, the processing thread's
 * one held-open SQLite connection, Postgres's turn jobs sent inside the inbox commit.
 */
import type { Config } from '../config.js';
import { MemoryServiceStore } from '../conversations/store/memory.js';
import { PostgresServiceStore } from '../conversations/store/postgres.js';
import { SqliteServiceStore } from '../conversations/store/sqlite.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { MemoryStorage, PostgresStorage, SqliteStorage, type Storage } from '../engine/index.js';

export interface OpenStoresOptions {
  inMemory?: boolean;
  /**
   * The request thread's stores beside a processing thread: SQLite writes there wait for the lock without
   * sleeping the thread (SqliteServiceStore `lockWait: 'yield'`), and announce that they wait.
   */
  intake?: { announceWait?: { want(): void; done(): void } };
  /** The processing thread's stores: called before each SQLite write transaction (./sqlite-write-gate.ts). */
  beforeSqliteWrite?: () => void;
  /**
   * The processing thread's stores on SQLite: one connection for the runs and the service tables, each
   * event-loop turn's writes in one transaction held open until its check phase (SqliteStorageOptions.holdOpen),
   * or for `holdForMs` (a commit window shared by the turns going on at once); `lockWanted` says the request
   * thread waits for the lock (./sqlite-write-gate.ts). @default off
   */
  holdSqliteWrites?: { lockWanted: () => boolean; holdForMs?: number };
  /** Postgres: runs inside each inbox insert's transaction (scale-out: the turn jobs commit with the rows). */
  withinInboxCommit?: ConstructorParameters<typeof PostgresServiceStore>[0]['withinInboxCommit'];
}

/** Opens the engine storage and the service store the configuration names (migrating them). */
export async function openStores(config: Config, options: OpenStoresOptions = {}): Promise<{ storage: Storage; serviceStore: ServiceStore }> {
  const { inMemory = false } = options;
  const beforeWrite = options.beforeSqliteWrite ? { beforeWrite: options.beforeSqliteWrite } : {};
  // Engine storage first: it refuses a database holding tables it did not create, and the service tables
  // share its prefix.
  const storage: Storage = inMemory
    ? new MemoryStorage()
    : config.storage.kind === 'postgres'
      ? new PostgresStorage({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix })
      : new SqliteStorage({
        dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous, ...beforeWrite,
        ...(options.holdSqliteWrites ? { holdOpen: true, lockWanted: options.holdSqliteWrites.lockWanted, holdForMs: options.holdSqliteWrites.holdForMs } : {}),
      });
  await storage.init();
  const serviceStore: ServiceStore = inMemory
    ? new MemoryServiceStore()
    : config.storage.kind === 'postgres'
      ? new PostgresServiceStore({
        dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix,
        ...(options.withinInboxCommit ? { withinInboxCommit: options.withinInboxCommit } : {}),
      })
      : new SqliteServiceStore({
        dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous,
        ...(options.intake ? { lockWait: 'yield' as const, ...(options.intake.announceWait ? { announceWait: options.intake.announceWait } : {}) } : {}),
        ...beforeWrite,
        ...(options.holdSqliteWrites && storage instanceof SqliteStorage ? { share: storage.shared() } : {}),
      });
  try {
    await serviceStore.init();
  } catch (error) {
    await storage.close();
    throw error;
  }
  return { storage, serviceStore };
}
