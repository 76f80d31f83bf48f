-- Cases (one customer problem, one protocol), who holds a conversation, the audit log and agents' corrections
-- (Postgres). Times are epoch milliseconds.

-- Who holds the conversation, by name (the 409 of a second claim says who), and the id of the open handoff
-- inside its case (idempotency keys of its alerts: a case handed over twice alerts twice).
ALTER TABLE {{prefix}}conversations ADD COLUMN assigned_agent_name text;
ALTER TABLE {{prefix}}conversations ADD COLUMN handoff_ref text;

CREATE TABLE {{prefix}}cases (
  id text PRIMARY KEY,
  conversation_key text NOT NULL,
  status text NOT NULL,
  protocol_number text,
  previous_protocol text,
  handoffs integer NOT NULL DEFAULT 0,
  opened_at bigint NOT NULL,
  last_customer_at bigint,
  self_service_at bigint,
  resolved_at bigint,
  resolved_by text,
  resolution text,
  updated_at bigint NOT NULL
);
-- At most one open case per conversation, whatever the number of processes opening one at once.
CREATE UNIQUE INDEX {{prefix}}cases_one_open ON {{prefix}}cases (conversation_key) WHERE status = 'open';
CREATE INDEX {{prefix}}cases_conversation ON {{prefix}}cases (conversation_key, opened_at);
CREATE INDEX {{prefix}}cases_protocol ON {{prefix}}cases (protocol_number);
CREATE INDEX {{prefix}}cases_status ON {{prefix}}cases (status, self_service_at);

-- Runs of a case (turns and reruns): only ever added to.
CREATE TABLE {{prefix}}case_runs (
  case_id text NOT NULL,
  run_id text NOT NULL,
  added_at bigint NOT NULL,
  PRIMARY KEY (case_id, run_id)
);
CREATE INDEX {{prefix}}case_runs_run ON {{prefix}}case_runs (run_id);

-- Typification history of a case: the bot's per turn and the agents' corrections, newest last.
CREATE TABLE {{prefix}}case_typifications (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  case_id text NOT NULL,
  at bigint NOT NULL,
  source text NOT NULL,
  actor text,
  business_unit text NOT NULL,
  product text NOT NULL,
  motive text NOT NULL,
  submotive text NOT NULL,
  confidence double precision,
  run_id text
);
CREATE INDEX {{prefix}}case_typifications_case ON {{prefix}}case_typifications (case_id, id);

-- The audit log (who did what, when) is created by 000002.

-- Agents' typification corrections as labeled examples (the dataset's JSONL shape: messages + label).
CREATE TABLE {{prefix}}corrections (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  case_id text NOT NULL,
  conversation_key text NOT NULL,
  actor text NOT NULL,
  business_unit text NOT NULL,
  product text NOT NULL,
  motive text NOT NULL,
  submotive text NOT NULL,
  messages text NOT NULL
);
