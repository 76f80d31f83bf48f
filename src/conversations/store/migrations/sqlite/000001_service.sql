-- zapflow service tables, version 1 (SQLite). `{{prefix}}` is the configured table prefix (default `zapflow_`).
-- Times are epoch milliseconds; `raw` is JSON text, stored as given so it round-trips exactly.

-- Every customer message, stored before the webhook is acknowledged. The unique key drops providers'
-- redeliveries; AUTOINCREMENT keeps ids growing after a purge, because the id is the arrival-order tie-break.
CREATE TABLE {{prefix}}inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  provider TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  customer TEXT NOT NULL,
  name TEXT,
  text TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  raw TEXT,
  status TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  run_id TEXT,
  processed_at INTEGER,
  UNIQUE (provider, message_id)
);
CREATE INDEX {{prefix}}inbox_conversation_status ON {{prefix}}inbox (conversation_key, status);
-- Start-up pickup (pending/processing) and retention (done/forwarded before a cutoff).
CREATE INDEX {{prefix}}inbox_status_received ON {{prefix}}inbox (status, received_at);

CREATE TABLE {{prefix}}conversations (
  conversation_key TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  customer TEXT NOT NULL,
  name TEXT,
  handoff_status TEXT NOT NULL,
  assigned_agent TEXT,
  protocol_number TEXT,
  urgency TEXT,
  reason TEXT,
  waiting_since INTEGER,
  realerts INTEGER NOT NULL DEFAULT 0,
  last_alert_at INTEGER,
  last_customer_message_at INTEGER,
  last_agent_activity_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX {{prefix}}conversations_status_updated ON {{prefix}}conversations (handoff_status, updated_at);
CREATE INDEX {{prefix}}conversations_updated ON {{prefix}}conversations (updated_at);
