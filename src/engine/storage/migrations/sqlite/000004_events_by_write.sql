-- A write's events in one row (SQLite only): `events` is a JSON array of [seq, type, stepPath, time, data?].
--
-- A row per event cost a table insert and a (run, seq) index insert each — ~36 a customer's turn, more than
-- any other kind of row — while events are only ever read by run. src/engine/storage/sqlite-events.ts writes
-- and reads this layout; a seq written twice is kept once there (the first), as the unique index did.
CREATE TABLE {{prefix}}events_v4 (
  run_id TEXT NOT NULL,
  events TEXT NOT NULL
);
INSERT INTO {{prefix}}events_v4 (run_id, events)
  SELECT run_id, json_array(CASE WHEN data IS NULL THEN json_array(seq, type, step_path, time)
                                 ELSE json_array(seq, type, step_path, time, json(data)) END)
  FROM {{prefix}}events ORDER BY rowid;
DROP TABLE {{prefix}}events;
ALTER TABLE {{prefix}}events_v4 RENAME TO {{prefix}}events;
-- An index keeps its rows in rowid order within a key: a run's rows come back in write order without a sort.
CREATE INDEX {{prefix}}events_run ON {{prefix}}events (run_id);
