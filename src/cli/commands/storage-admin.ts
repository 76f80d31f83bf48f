/**
 * `zapflow migrate` (apply pending migrations and exit: run it before rolling out a new version) and
 * `zapflow purge --older-than 90d` (retention, LGPD: delete finished runs and idle conversations).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { PostgresServiceStore } from '../../conversations/store/postgres.js';
import { SqliteServiceStore } from '../../conversations/store/sqlite.js';
import type { ServiceStore } from '../../conversations/store/types.js';
import { PostgresStorage, SqliteStorage, type Storage } from '../../engine/index.js';

export function openStores(): { storage: Storage; serviceStore: ServiceStore } {
  const config = loadConfig(process.env);
  if (config.storage.kind === 'postgres') {
    return {
      storage: new PostgresStorage({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix }),
      serviceStore: new PostgresServiceStore({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix }),
    };
  }
  return {
    storage: new SqliteStorage({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix }),
    serviceStore: new SqliteServiceStore({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix }),
  };
}

/** "90d", "12h", "30m" → milliseconds. */
export function parseAge(value: string): number {
  const match = /^(\d+)\s*(d|h|m)$/.exec(value.trim());
  if (!match) throw new Error(`--older-than must look like 90d, 12h or 30m (got "${value}")`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
  return Number(match[1]) * unit;
}

export function register(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (SQLite file or DATABASE_URL) and exit')
    .action(async () => {
      const { storage, serviceStore } = openStores();
      await storage.init();
      await serviceStore.init();
      await serviceStore.close();
      await storage.close();
      process.stdout.write(`migrated (${storage.kind})\n`);
    });

  program
    .command('purge')
    .description('Delete finished runs, their steps, events and outbox rows, and idle conversations older than an age')
    .requiredOption('--older-than <age>', 'age like 90d, 12h or 30m')
    .action(async (options: { olderThan: string }) => {
      let age: number;
      try {
        age = parseAge(options.olderThan);
      } catch (error) {
        process.stderr.write(`zapflow purge: ${(error as Error).message}\n`);
        process.exit(1);
      }
      const { storage, serviceStore } = openStores();
      await storage.init();
      await serviceStore.init();
      const before = Date.now() - age;
      const engine = await storage.purge({ before });
      const service = await serviceStore.purge(before);
      await serviceStore.close();
      await storage.close();
      process.stdout.write(`${JSON.stringify({ ...engine, inbox: service.inbox, conversations: service.conversations })}\n`);
    });
}
