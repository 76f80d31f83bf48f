-- Provider ids of the messages zapflow itself sent to customers (Meta wamid, Evolution key.id). Evolution
-- echoes every API send as `send.message`; one whose id is not here was sent by a person (Chatwoot, the
-- phone), so the conversation goes to a human. Purged with the inbox (same retention).
CREATE TABLE {{prefix}}own_messages (
  provider TEXT NOT NULL,
  message_id TEXT NOT NULL,
  conversation_key TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  PRIMARY KEY (provider, message_id)
);
CREATE INDEX {{prefix}}own_messages_sent_at ON {{prefix}}own_messages (sent_at);
