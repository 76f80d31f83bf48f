-- Step records and events as rowid tables, appended in the order they are written (SQLite only).
--
-- As WITHOUT ROWID tables keyed by (run, path) they cost a commit far more than they hold: such a table
-- keeps at most ~1,000 bytes of a row in its leaf, so one step output in five (reports, typifications)
-- spilled into an overflow page of its own, mostly empty; and the rows of the runs going on at once went
-- to as many places in the tree. Measured on the bench turn (a WAL of 767 commits): step records dirtied
-- 6.6 pages a commit and events 4.2, of ~41. A rowid table keeps rows up to ~4,000 bytes in the leaf and
-- appends them at the right edge; the (run, path) and (run, seq) lookups move to small unique indexes.
CREATE TABLE {{prefix}}step_results_v3 (
  run_id TEXT NOT NULL,
  step_path TEXT NOT NULL,
  step_name TEXT NOT NULL,
  step_type TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  state_delta TEXT,
  attempts INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL
);
INSERT INTO {{prefix}}step_results_v3 (run_id, step_path, step_name, step_type, status, output, state_delta, attempts, started_at, finished_at)
  SELECT run_id, step_path, step_name, step_type, status, output, state_delta, attempts, started_at, finished_at
  FROM {{prefix}}step_results ORDER BY finished_at, run_id, step_path;
DROP TABLE {{prefix}}step_results;
ALTER TABLE {{prefix}}step_results_v3 RENAME TO {{prefix}}step_results;
-- Resume replays the definition and reuses every completed path; a rewritten step replaces its record.
CREATE UNIQUE INDEX {{prefix}}step_results_run_path ON {{prefix}}step_results (run_id, step_path);

CREATE TABLE {{prefix}}events_v3 (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  step_path TEXT,
  time INTEGER NOT NULL,
  data TEXT
);
INSERT INTO {{prefix}}events_v3 (run_id, seq, type, step_path, time, data)
  SELECT run_id, seq, type, step_path, time, data FROM {{prefix}}events ORDER BY time, run_id, seq;
DROP TABLE {{prefix}}events;
ALTER TABLE {{prefix}}events_v3 RENAME TO {{prefix}}events;
CREATE UNIQUE INDEX {{prefix}}events_run_seq ON {{prefix}}events (run_id, seq);
