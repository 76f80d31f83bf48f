-- People who work the conversations (console branch): accounts, console sessions, per-user API tokens and
-- the audit log of who did what. Secrets are never stored: passwords as scrypt hashes, session ids and API
-- tokens as SHA-256 digests (they are long random values, so a fast hash is enough).
CREATE TABLE {{prefix}}users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  phone TEXT,
  password_hash TEXT NOT NULL,
  disabled_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE {{prefix}}console_sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX {{prefix}}console_sessions_user ON {{prefix}}console_sessions (user_id);

CREATE TABLE {{prefix}}api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);

-- The audit log: who did what and when (sign-in, claim, release, reply, resolve, correction, rerun, retry).
CREATE TABLE IF NOT EXISTS {{prefix}}audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor_kind TEXT NOT NULL,
  actor_id TEXT,
  actor_label TEXT NOT NULL,
  action TEXT NOT NULL,
  conversation_key TEXT,
  case_id TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS {{prefix}}audit_log_at ON {{prefix}}audit_log (at);
CREATE INDEX IF NOT EXISTS {{prefix}}audit_log_conversation ON {{prefix}}audit_log (conversation_key, at);
