/**
 * Retention (LGPD) on SQLite: deletes in batches, one short write transaction per batch, so a purge of a
 * big backlog never blocks the runs that are committing steps meanwhile.
 */
import type Database from 'better-sqlite3';
import { DEFAULT_PURGE_BATCH, purgeableStatuses } from './serialize.js';
import type { PurgeCounts, PurgeOptions } from './types.js';

type Write = <T>(work: () => T) => T;
type Prepare = (text: string) => Database.Statement;

export function purgeSqlite(write: Write, sql: Prepare, options: PurgeOptions): PurgeCounts {
  const counts: PurgeCounts = { runs: 0, stepResults: 0, events: 0, sessions: 0, outbox: 0 };
  const statuses = JSON.stringify(purgeableStatuses(options.statuses));
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_PURGE_BATCH);

  for (;;) {
    const done = write(() => {
      const ids = (sql('SELECT run_id FROM {p}runs WHERE status IN (SELECT value FROM json_each(?)) AND updated_at < ? LIMIT ?')
        .all(statuses, options.before, batchSize) as Array<{ run_id: string }>).map((row) => row.run_id);
      if (ids.length === 0) return true;
      const idList = JSON.stringify(ids);
      counts.stepResults += sql('DELETE FROM {p}step_results WHERE run_id IN (SELECT value FROM json_each(?))').run(idList).changes;
      // A row holds a write's events (./sqlite-events.ts): count the events, as the other storages do.
      for (const row of sql('DELETE FROM {p}events WHERE run_id IN (SELECT value FROM json_each(?)) RETURNING json_array_length(events) AS n')
        .all(idList) as Array<{ n: number }>) counts.events += row.n;
      counts.runs += sql('DELETE FROM {p}runs WHERE run_id IN (SELECT value FROM json_each(?))').run(idList).changes;
      return ids.length < batchSize;
    });
    if (done) break;
  }

  // Undelivered messages are kept: deleting one would silently drop a side effect the run decided.
  const deleteOutbox = sql("DELETE FROM {p}outbox WHERE id IN (SELECT id FROM {p}outbox WHERE status IN ('delivered', 'dead') " +
    'AND updated_at < ? LIMIT ?)');
  for (let deleted = batchSize; deleted === batchSize;) {
    deleted = write(() => deleteOutbox.run(options.before, batchSize).changes);
    counts.outbox += deleted;
  }

  // A session with a run still pending, running or paused is kept: that run will read and write it.
  const deleteSessions = sql('DELETE FROM {p}sessions WHERE session_id IN (SELECT s.session_id FROM {p}sessions s WHERE s.updated_at < ? ' +
    "AND NOT EXISTS (SELECT 1 FROM {p}runs r WHERE r.session_id = s.session_id AND r.status IN ('pending', 'running', 'paused')) LIMIT ?)");
  for (let deleted = batchSize; deleted === batchSize;) {
    deleted = write(() => deleteSessions.run(options.before, batchSize).changes);
    counts.sessions += deleted;
  }
  return counts;
}
