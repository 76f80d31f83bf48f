-- zapflow service tables, version 1 (Postgres). Applied with search_path set to the configured schema;
-- `{{prefix}}` is the configured table prefix (default `zapflow_`).
-- Times are epoch milliseconds (bigint). `raw` is `json`, not `jsonb`: `json` keeps the text as written, so
-- the normalized message reads back exactly as stored.

-- Every customer message, stored before the webhook is acknowledged. The unique key drops providers'
-- redeliveries; the id is the arrival-order tie-break.
CREATE TABLE {{prefix}}inbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  provider text NOT NULL,
  message_id text NOT NULL,
  conversation_key text NOT NULL,
  kind text NOT NULL,
  customer text NOT NULL,
  name text,
  text text NOT NULL,
  sent_at bigint NOT NULL,
  raw json,
  status text NOT NULL,
  received_at bigint NOT NULL,
  run_id text,
  processed_at bigint,
  UNIQUE (provider, message_id)
);
CREATE INDEX {{prefix}}inbox_conversation_status ON {{prefix}}inbox (conversation_key, status);
-- Start-up pickup (pending/processing) and retention (done/forwarded before a cutoff).
CREATE INDEX {{prefix}}inbox_status_received ON {{prefix}}inbox (status, received_at);

CREATE TABLE {{prefix}}conversations (
  conversation_key text PRIMARY KEY,
  provider text NOT NULL,
  customer text NOT NULL,
  name text,
  handoff_status text NOT NULL,
  assigned_agent text,
  protocol_number text,
  urgency text,
  reason text,
  waiting_since bigint,
  realerts integer NOT NULL DEFAULT 0,
  last_alert_at bigint,
  last_customer_message_at bigint,
  last_agent_activity_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX {{prefix}}conversations_status_updated ON {{prefix}}conversations (handoff_status, updated_at);
CREATE INDEX {{prefix}}conversations_updated ON {{prefix}}conversations (updated_at);
