-- A conversation's cases newest first (`casesOf`: the previous protocol when a case opens, the console's
-- earlier cases). With the id in the index, `ORDER BY opened_at DESC, id DESC LIMIT n` walks it backwards;
-- without it SQLite built a sorter for every new case, even when the conversation had none (~45 µs of a turn).
DROP INDEX {{prefix}}cases_conversation;
CREATE INDEX {{prefix}}cases_conversation ON {{prefix}}cases (conversation_key, opened_at, id);
