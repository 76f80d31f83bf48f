-- Live console updates across processes (Postgres only). Whichever process writes — a worker's turn, another
-- web process's agent action, a webhook — the database itself announces which conversation changed, on commit,
-- to every web process LISTENing (src/console/postgres-live.ts). Triggers rather than calls in the code: no
-- writer can forget one. Channel "<schema>.<prefix>live" (two deployments in one database stay apart);
-- payload "q:<key>" when the change touches the handoff queue (the row is or was waiting for / held by a
-- person), "c:<key>" otherwise. Postgres folds identical notifications of one transaction into one.
CREATE FUNCTION {{prefix}}live_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  in_queue boolean := false;
BEGIN
  IF TG_TABLE_NAME = '{{prefix}}conversations' THEN
    in_queue := NEW.handoff_status IN ('waiting_human', 'human')
      OR (TG_OP = 'UPDATE' AND OLD.handoff_status IN ('waiting_human', 'human'));
  END IF;
  IF NEW.conversation_key IS NOT NULL THEN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '.{{prefix}}live', CASE WHEN in_queue THEN 'q:' ELSE 'c:' END || NEW.conversation_key);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER {{prefix}}conversations_live AFTER INSERT OR UPDATE ON {{prefix}}conversations
  FOR EACH ROW EXECUTE FUNCTION {{prefix}}live_notify();
-- A customer's new message (status changes of the inbox rows are not shown live: the turn's end updates the
-- conversation row).
CREATE TRIGGER {{prefix}}inbox_live AFTER INSERT ON {{prefix}}inbox
  FOR EACH ROW EXECUTE FUNCTION {{prefix}}live_notify();
-- Agents' actions (claim, reply, release, resolve, correction, rerun) as they land in the audit log.
CREATE TRIGGER {{prefix}}audit_log_live AFTER INSERT ON {{prefix}}audit_log
  FOR EACH ROW EXECUTE FUNCTION {{prefix}}live_notify();
CREATE TRIGGER {{prefix}}cases_live AFTER INSERT OR UPDATE ON {{prefix}}cases
  FOR EACH ROW EXECUTE FUNCTION {{prefix}}live_notify();
