/**
 * Where a process's console live updates come from. On Postgres (several web processes may serve the console)
 * the database's notifications, with the queue poll kept only as a slow safety net; on SQLite (one process)
 * the in-process bus and the poll, every 400 ms, which notices what the processing thread changed.
 */
import type { Config } from '../config.js';
import type { ServiceStore } from '../conversations/store/types.js';
import type { Logger } from '../logging.js';
import { InProcessLiveUpdates, watchQueue, type LiveUpdates } from './live.js';
import { PostgresLiveUpdates } from './postgres-live.js';

/** With LISTEN/NOTIFY the poll only repairs what a dropped listening connection missed. */
const SAFETY_NET_POLL_MS = 5000;

export interface ConsoleLiveSource {
  live: LiveUpdates;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function consoleLiveSource(config: Config, store: ServiceStore, logger: Logger, options: { inMemory?: boolean } = {}): ConsoleLiveSource {
  if (config.storage.kind === 'postgres' && config.role !== 'worker' && !options.inMemory) {
    const live = new PostgresLiveUpdates({ databaseUrl: config.storage.databaseUrl, tablePrefix: config.storage.tablePrefix, logger });
    const watcher = watchQueue(live.bus, store, SAFETY_NET_POLL_MS);
    return {
      live,
      start: () => live.start(),
      async stop() {
        watcher.stop();
        await live.close();
      },
    };
  }
  const live = new InProcessLiveUpdates();
  const watcher = watchQueue(live, store);
  return { live, start: async () => {}, stop: async () => watcher.stop() };
}
