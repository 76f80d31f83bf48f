-- The WhatsApp MCP server's sent-message log, shared by every process on this database (Postgres only: a
-- SQLite deployment is one process and keeps its log in mcp-whatsapp.sqlite). A part sent under an
-- idempotency key is claimed here (state 'sending', owner, lease) before the provider is called and marked
-- 'sent' with the provider's message id after, so a second worker delivering the same reply finds the first
-- one's result instead of sending again (src/mcp/server/postgres-message-log.ts). Times are epoch ms.
CREATE TABLE {{prefix}}sent_messages (
  id bigserial PRIMARY KEY,
  idempotency_key text,
  part integer NOT NULL,
  parts integer NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('sending', 'sent')),
  -- Who is sending (host:pid:…) and until when, on the database's clock; both cleared once sent.
  owner text,
  lease_until timestamptz,
  message_id text,
  provider text NOT NULL,
  instance text,
  recipient text NOT NULL,
  -- Only for dry-run parts: real sends keep no text (the provider has it).
  text text,
  text_length integer NOT NULL,
  status text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE UNIQUE INDEX {{prefix}}sent_messages_key_part ON {{prefix}}sent_messages (idempotency_key, part) WHERE idempotency_key IS NOT NULL;
CREATE INDEX {{prefix}}sent_messages_message_id ON {{prefix}}sent_messages (message_id);
CREATE INDEX {{prefix}}sent_messages_created ON {{prefix}}sent_messages (created_at);
