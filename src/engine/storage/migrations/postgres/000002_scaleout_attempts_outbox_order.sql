-- Each execution attempt of a run (the process that started it or took it over, and when), for the run detail.
ALTER TABLE {{prefix}}runs ADD COLUMN attempts json;

-- Several processes deliver the outbox: a row waits for the earlier undelivered rows of its conversation.
CREATE INDEX {{prefix}}outbox_undelivered_conversation ON {{prefix}}outbox ((payload->>'conversationKey'), topic, id)
  WHERE status IN ('pending', 'delivering');
