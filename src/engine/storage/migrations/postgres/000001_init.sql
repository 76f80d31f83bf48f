-- zapflow storage, version 1 (Postgres). Applied with search_path set to the configured schema;
-- `{{prefix}}` is the configured table prefix (default `zapflow_`).
-- Times are epoch milliseconds (bigint). Structured values are `json`, not `jsonb`: `json` keeps the text as
-- written (key order, duplicate keys, \u0000 escapes), so what the engine stored is exactly what it reads back.

CREATE TABLE {{prefix}}sessions (
  session_id text PRIMARY KEY,
  state json NOT NULL,
  version bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX {{prefix}}sessions_updated_at ON {{prefix}}sessions (updated_at);

CREATE TABLE {{prefix}}runs (
  run_id text PRIMARY KEY,
  workflow_name text NOT NULL,
  session_id text NOT NULL,
  status text NOT NULL,
  input json NOT NULL,
  initial_state json NOT NULL,
  content json,
  error json,
  parent_run_id text,
  rerun_from_step text,
  pause json,
  resume_data json,
  metrics json,
  lease_owner text,
  lease_expires_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  finished_at bigint
);
CREATE INDEX {{prefix}}runs_created ON {{prefix}}runs (created_at DESC, run_id DESC);
CREATE INDEX {{prefix}}runs_running_lease ON {{prefix}}runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX {{prefix}}runs_status_updated ON {{prefix}}runs (status, updated_at);
CREATE INDEX {{prefix}}runs_session ON {{prefix}}runs (session_id);
CREATE INDEX {{prefix}}runs_parent ON {{prefix}}runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
CREATE INDEX {{prefix}}runs_lease_owner ON {{prefix}}runs (lease_owner) WHERE status = 'running';

-- Keyed by (run, step path): resume replays the definition and reuses every completed path.
CREATE TABLE {{prefix}}step_results (
  run_id text NOT NULL,
  step_path text NOT NULL,
  step_name text NOT NULL,
  step_type text NOT NULL,
  status text NOT NULL,
  output json,
  state_delta json,
  attempts integer NOT NULL,
  started_at bigint NOT NULL,
  finished_at bigint NOT NULL,
  PRIMARY KEY (run_id, step_path)
);

CREATE TABLE {{prefix}}events (
  run_id text NOT NULL,
  seq integer NOT NULL,
  type text NOT NULL,
  step_path text,
  time bigint NOT NULL,
  data json,
  PRIMARY KEY (run_id, seq)
);

CREATE TABLE {{prefix}}leases (
  name text PRIMARY KEY,
  owner text NOT NULL,
  expires_at bigint NOT NULL
);

CREATE TABLE {{prefix}}sequences (
  name text PRIMARY KEY,
  value bigint NOT NULL
);

CREATE TABLE {{prefix}}sequence_keys (
  name text NOT NULL,
  idempotency_key text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (name, idempotency_key)
);

CREATE TABLE {{prefix}}outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key text NOT NULL UNIQUE,
  topic text NOT NULL,
  payload json,
  run_id text,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at bigint NOT NULL,
  last_error text,
  result json,
  claimed_by text,
  claim_expires_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  delivered_at bigint
);
CREATE INDEX {{prefix}}outbox_due ON {{prefix}}outbox (status, next_attempt_at);
CREATE INDEX {{prefix}}outbox_run ON {{prefix}}outbox (run_id) WHERE run_id IS NOT NULL;

-- commitStep and finishRun are each ONE statement (one round trip). When a check inside one fails (a stale
-- session version, an unknown run), the statement calls this function, which raises: the whole statement —
-- step row, events, outbox rows — is rolled back. The SQLSTATE (ZF409 stale session, ZF404 unknown run) is how
-- the code recognises the case and throws the matching zapflow error.
CREATE FUNCTION {{prefix}}refuse(error_code text, error_message text) RETURNS bigint
LANGUAGE plpgsql AS $fn$
BEGIN
  RAISE EXCEPTION USING ERRCODE = error_code, MESSAGE = error_message;
END
$fn$;
