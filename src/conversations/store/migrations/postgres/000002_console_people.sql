-- People who work the conversations (console branch): accounts, console sessions, per-user API tokens and
-- the audit log of who did what. Secrets are never stored: passwords as scrypt hashes, session ids and API
-- tokens as SHA-256 digests (they are long random values, so a fast hash is enough).
CREATE TABLE {{prefix}}users (
  id text PRIMARY KEY,
  username text NOT NULL UNIQUE,
  display_name text NOT NULL,
  role text NOT NULL,
  phone text,
  password_hash text NOT NULL,
  disabled_at bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);

CREATE TABLE {{prefix}}console_sessions (
  id_hash text PRIMARY KEY,
  user_id text NOT NULL,
  csrf_token text NOT NULL,
  created_at bigint NOT NULL,
  expires_at bigint NOT NULL
);
CREATE INDEX {{prefix}}console_sessions_user ON {{prefix}}console_sessions (user_id);

CREATE TABLE {{prefix}}api_tokens (
  id text PRIMARY KEY,
  user_id text NOT NULL,
  name text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  created_at bigint NOT NULL,
  last_used_at bigint,
  revoked_at bigint
);

-- The audit log: who did what and when (sign-in, claim, release, reply, resolve, correction, rerun, retry).
CREATE TABLE IF NOT EXISTS {{prefix}}audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  actor_kind text NOT NULL,
  actor_id text,
  actor_label text NOT NULL,
  action text NOT NULL,
  conversation_key text,
  case_id text,
  detail text
);
CREATE INDEX IF NOT EXISTS {{prefix}}audit_log_at ON {{prefix}}audit_log (at);
CREATE INDEX IF NOT EXISTS {{prefix}}audit_log_conversation ON {{prefix}}audit_log (conversation_key, at);
