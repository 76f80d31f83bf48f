-- Cases (one customer problem, one protocol), who holds a conversation, the audit log and agents' corrections
-- (SQLite). Times are epoch milliseconds.

-- Who holds the conversation, by name (the 409 of a second claim says who), and the id of the open handoff
-- inside its case (idempotency keys of its alerts: a case handed over twice alerts twice).
ALTER TABLE {{prefix}}conversations ADD COLUMN assigned_agent_name TEXT;
ALTER TABLE {{prefix}}conversations ADD COLUMN handoff_ref TEXT;

CREATE TABLE {{prefix}}cases (
  id TEXT PRIMARY KEY,
  conversation_key TEXT NOT NULL,
  status TEXT NOT NULL,
  protocol_number TEXT,
  previous_protocol TEXT,
  handoffs INTEGER NOT NULL DEFAULT 0,
  opened_at INTEGER NOT NULL,
  last_customer_at INTEGER,
  self_service_at INTEGER,
  resolved_at INTEGER,
  resolved_by TEXT,
  resolution TEXT,
  updated_at INTEGER NOT NULL
);
-- At most one open case per conversation, whatever the number of processes opening one at once.
CREATE UNIQUE INDEX {{prefix}}cases_one_open ON {{prefix}}cases (conversation_key) WHERE status = 'open';
CREATE INDEX {{prefix}}cases_conversation ON {{prefix}}cases (conversation_key, opened_at);
CREATE INDEX {{prefix}}cases_protocol ON {{prefix}}cases (protocol_number);
CREATE INDEX {{prefix}}cases_status ON {{prefix}}cases (status, self_service_at);

-- Runs of a case (turns and reruns): only ever added to.
CREATE TABLE {{prefix}}case_runs (
  case_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (case_id, run_id)
);
CREATE INDEX {{prefix}}case_runs_run ON {{prefix}}case_runs (run_id);

-- Typification history of a case: the bot's per turn and the agents' corrections, newest last.
CREATE TABLE {{prefix}}case_typifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  source TEXT NOT NULL,
  actor TEXT,
  business_unit TEXT NOT NULL,
  product TEXT NOT NULL,
  motive TEXT NOT NULL,
  submotive TEXT NOT NULL,
  confidence REAL,
  run_id TEXT
);
CREATE INDEX {{prefix}}case_typifications_case ON {{prefix}}case_typifications (case_id, id);

-- The audit log (who did what, when) is created by 000002.

-- Agents' typification corrections as labeled examples (the dataset's JSONL shape: messages + label).
CREATE TABLE {{prefix}}corrections (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  case_id TEXT NOT NULL,
  conversation_key TEXT NOT NULL,
  actor TEXT NOT NULL,
  business_unit TEXT NOT NULL,
  product TEXT NOT NULL,
  motive TEXT NOT NULL,
  submotive TEXT NOT NULL,
  messages TEXT NOT NULL
);
