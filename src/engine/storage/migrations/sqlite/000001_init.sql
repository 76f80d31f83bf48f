-- zapflow storage, version 1 (SQLite). `{{prefix}}` is the configured table prefix (default `zapflow_`).
-- Times are epoch milliseconds; structured values are JSON text (stored as given, so they round-trip exactly).

CREATE TABLE {{prefix}}sessions (
  session_id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX {{prefix}}sessions_updated_at ON {{prefix}}sessions (updated_at);

CREATE TABLE {{prefix}}runs (
  run_id TEXT PRIMARY KEY,
  workflow_name TEXT NOT NULL,
  session_id TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  initial_state TEXT NOT NULL,
  content TEXT,
  error TEXT,
  parent_run_id TEXT,
  rerun_from_step TEXT,
  pause TEXT,
  resume_data TEXT,
  metrics TEXT,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX {{prefix}}runs_created ON {{prefix}}runs (created_at DESC, run_id DESC);
CREATE INDEX {{prefix}}runs_status_lease ON {{prefix}}runs (status, lease_expires_at);
CREATE INDEX {{prefix}}runs_status_updated ON {{prefix}}runs (status, updated_at);
CREATE INDEX {{prefix}}runs_session ON {{prefix}}runs (session_id);
CREATE INDEX {{prefix}}runs_parent ON {{prefix}}runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX {{prefix}}runs_lease_owner ON {{prefix}}runs (lease_owner) WHERE status = 'running';

-- Keyed by (run, step path): resume replays the definition and reuses every completed path.
CREATE TABLE {{prefix}}step_results (
  run_id TEXT NOT NULL,
  step_path TEXT NOT NULL,
  step_name TEXT NOT NULL,
  step_type TEXT NOT NULL,
  status TEXT NOT NULL,
  output TEXT,
  state_delta TEXT,
  attempts INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_path)
) WITHOUT ROWID;

CREATE TABLE {{prefix}}events (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  step_path TEXT,
  time INTEGER NOT NULL,
  data TEXT,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE {{prefix}}leases (
  name TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE TABLE {{prefix}}sequences (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE {{prefix}}sequence_keys (
  name TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (name, idempotency_key)
) WITHOUT ROWID;

CREATE TABLE {{prefix}}outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  topic TEXT NOT NULL,
  payload TEXT,
  run_id TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  result TEXT,
  claimed_by TEXT,
  claim_expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX {{prefix}}outbox_due ON {{prefix}}outbox (status, next_attempt_at);
CREATE INDEX {{prefix}}outbox_run ON {{prefix}}outbox (run_id) WHERE run_id IS NOT NULL;
