import type { Config } from '../config.js';
import { PeopleStore } from './store.js';
import { postgresRunner, sqliteRunner } from './sql.js';

/** The people tables in the configured database (`:memory:` SQLite when the service runs in memory). */
export async function openPeopleStore(config: Config, options: { inMemory?: boolean; now?: () => number } = {}): Promise<PeopleStore> {
  const storage = config.storage;
  const runner = options.inMemory
    ? sqliteRunner({ dbFile: ':memory:', prefix: storage.tablePrefix })
    : storage.kind === 'postgres'
      ? await postgresRunner({ dbUrl: storage.databaseUrl, prefix: storage.tablePrefix })
      : sqliteRunner({ dbFile: storage.dbFile, prefix: storage.tablePrefix });
  return new PeopleStore(runner, options.now);
}
