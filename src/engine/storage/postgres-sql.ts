/**
 * The SQL of PostgresStorage, built once per (schema, prefix). `t` is the qualified table prefix, e.g.
 * `"public".zapflow_`.
 *
 * commitStep and finishRun are single statements (one round trip, atomic without BEGIN/COMMIT): data-modifying
 * CTEs write the session (UPDATE … WHERE version = expected, or INSERT when expected is 0), the step row, the
 * events and the outbox rows. The `guard` CTE turns "the session write matched no row" into a raised error
 * (`refuse()`, SQLSTATE ZF409), and the step insert reads from `guard`, so the check always runs and a stale
 * write aborts the whole statement: no step row, no events, no outbox rows. We chose this over a pipelined
 * BEGIN…COMMIT because node-postgres has no pipeline mode: a transaction would cost 4+ round trips per step.
 */
import { RUN_COLUMNS, STEP_COLUMNS } from './rows.js';

export const STALE_SESSION_SQLSTATE = 'ZF409';
export const RUN_NOT_FOUND_SQLSTATE = 'ZF404';
export const LEASE_LOST_SQLSTATE = 'ZF410';

/**
 * Fencing on the run's lease. $param is the owner (NULL = unfenced), $run the run id. FOR SHARE: a takeover
 * (an UPDATE of lease_owner) waits for a commit in flight, and a commit that waited re-reads the row after the
 * takeover and is refused — a writer that lost the run never writes after the new holder read the run.
 */
function leaseGuard(t: string, owner: string, run: string): string {
  return `
  lease_held AS (SELECT 1 FROM ${t}runs WHERE run_id = ${run} AND lease_owner = ${owner} FOR SHARE),
  lease_guard AS (
    SELECT CASE WHEN ${owner}::text IS NULL OR EXISTS (SELECT 1 FROM lease_held) THEN 1
      ELSE ${t}refuse('${LEASE_LOST_SQLSTATE}', 'zapflow: run lease lost') END AS held
  )`;
}

/** $1 status, $2 workflow name, $3 session id, $4 parent run id; NULL = any. */
const RUN_FILTER = `($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR workflow_name = $2)
  AND ($3::text IS NULL OR session_id = $3) AND ($4::text IS NULL OR parent_run_id = $4)`;

const STEP_UPSERT_SET = STEP_COLUMNS.filter((c) => c !== 'run_id' && c !== 'step_path').map((c) => `${c} = EXCLUDED.${c}`).join(', ');

/**
 * Session write + guard. Parameters: $1 session id (NULL = no session write), $2 state JSON, $3 expected
 * version, $4 now. Yields CTE `guard(session_version)`: the new version, or NULL when no session was written.
 */
function sessionGuard(t: string): string {
  return `
  session_update AS (
    UPDATE ${t}sessions SET state = $2::json, version = version + 1, updated_at = $4
    WHERE $1::text IS NOT NULL AND $3::bigint > 0 AND session_id = $1 AND version = $3
    RETURNING version
  ),
  session_insert AS (
    INSERT INTO ${t}sessions (session_id, state, version, updated_at)
    SELECT $1, $2::json, 1, $4 WHERE $1::text IS NOT NULL AND $3::bigint = 0
    ON CONFLICT (session_id) DO NOTHING
    RETURNING version
  ),
  guard AS (
    SELECT CASE
      WHEN $1::text IS NULL THEN NULL
      WHEN EXISTS (SELECT 1 FROM session_update) THEN (SELECT version FROM session_update)
      WHEN EXISTS (SELECT 1 FROM session_insert) THEN (SELECT version FROM session_insert)
      ELSE ${t}refuse('${STALE_SESSION_SQLSTATE}', 'zapflow: stale session write refused')
    END AS session_version
  )`;
}

/** Events from a JSON array parameter; `data` is JSON text (so it round-trips exactly). */
function insertEvents(t: string, param: string): string {
  return `INSERT INTO ${t}events (run_id, seq, type, step_path, time, data)
    SELECT e.run_id, e.seq, e.type, e.step_path, e.time, e.data::json
    FROM json_to_recordset(${param}::json) AS e(run_id text, seq integer, type text, step_path text, time bigint, data text)
    ON CONFLICT (run_id, seq) DO NOTHING`;
}

/**
 * The guards of a batch statement (commitSteps, finishRuns) over its members in CTE `c`, counted over the batch:
 * one lost lease or stale session refuses the whole statement. Every lookup of `runs` or `sessions` goes through
 * the primary key per member (a LATERAL probe, or `= ANY` of the batch's keys): the planner guesses 100 rows for
 * `json_to_recordset`, and a plain join made it hash-join against a sequential scan of the whole table — every
 * batch read every run ever stored (measured: 800–1,800 tuples read per run after 6,500 runs).
 * `now` is the member's column used as the session's updated_at.
 */
function batchGuards(t: string, now: string): string {
  return `
  lease_held AS (
    SELECT c.i FROM c CROSS JOIN LATERAL (
      SELECT 1 FROM ${t}runs r WHERE r.run_id = c.run_id AND r.lease_owner = c.lease_owner FOR SHARE OF r
    ) AS held
  ),
  lease_guard AS (
    SELECT CASE WHEN (SELECT count(*) FROM lease_held) = (SELECT count(*) FROM c WHERE lease_owner IS NOT NULL) THEN 1
      ELSE ${t}refuse('${LEASE_LOST_SQLSTATE}', 'zapflow: run lease lost') END AS held
  ),
  session_update AS (
    UPDATE ${t}sessions s SET state = c.state::json, version = s.version + 1, updated_at = c.${now}
    FROM c WHERE s.session_id = ANY(ARRAY(SELECT session_id FROM c WHERE session_id IS NOT NULL AND expected_version > 0))
      AND c.session_id IS NOT NULL AND c.expected_version > 0 AND s.session_id = c.session_id AND s.version = c.expected_version
    RETURNING c.i, s.version
  ),
  session_insert AS (
    INSERT INTO ${t}sessions (session_id, state, version, updated_at)
    SELECT c.session_id, c.state::json, 1, c.${now} FROM c WHERE c.session_id IS NOT NULL AND c.expected_version = 0
    ON CONFLICT (session_id) DO NOTHING
    RETURNING session_id, version
  ),
  guard AS (
    SELECT CASE WHEN (SELECT count(*) FROM session_update) + (SELECT count(*) FROM session_insert)
        = (SELECT count(*) FROM c WHERE session_id IS NOT NULL) THEN 1
      ELSE ${t}refuse('${STALE_SESSION_SQLSTATE}', 'zapflow: stale session write refused') END AS fresh
  )`;
}

/** A batch statement's answer: each member's position and the session version it wrote (NULL: none). */
const BATCH_RESULT = `SELECT c.i, COALESCE(su.version, si.version) AS session_version
  FROM c LEFT JOIN session_update su ON su.i = c.i
    LEFT JOIN session_insert si ON c.expected_version = 0 AND si.session_id = c.session_id`;

const RUN_JSON_COLUMNS: readonly string[] = ['input', 'initial_state', 'content', 'error', 'pause', 'resume_data', 'metrics', 'attempts'];
const RUN_BIGINT_COLUMNS: readonly string[] = ['lease_expires_at', 'created_at', 'updated_at', 'finished_at'];

export function postgresSql(t: string) {
  const runPlaceholders = RUN_COLUMNS.map((column, i) => {
    const json = RUN_JSON_COLUMNS.includes(column);
    return `$${i + 1}${json ? '::json' : ''}`;
  });
  return {
    /** $1-$4 session guard ($4 = now = the step's finishedAt), $5-$14 step columns, $15 events JSON, $16 outbox JSON, $17 lease owner. */
    commitStep: `WITH ${leaseGuard(t, '$17', '$5')}, ${sessionGuard(t)},
  step AS (
    INSERT INTO ${t}step_results (${STEP_COLUMNS.join(', ')})
    SELECT $5, $6, $7, $8, $9, $10::json, $11::json, $12, $13, $14 FROM guard, lease_guard
    ON CONFLICT (run_id, step_path) DO UPDATE SET ${STEP_UPSERT_SET}
  ),
  events AS (${insertEvents(t, '$15')}),
  outbox AS (
    INSERT INTO ${t}outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT o.key, o.topic, o.payload::json, o.run_id, 'pending', 0, $4, $4, $4
    FROM json_to_recordset($16::json) AS o(key text, topic text, payload text, run_id text), lease_guard
    ON CONFLICT (key) DO NOTHING
  )
  SELECT session_version FROM guard, lease_guard`,

    /**
     * Several runs' step commits in one statement (group commit, see postgres-group-commit.ts): $1 the commits
     * (JSON array: step columns, lease_owner, session_id/state/expected_version, `i` = position in the batch),
     * $2 their events, $3 their outbox rows (each with `at`, its commit's finishedAt). The same guards as
     * commitStep, counted over the batch: one stale session or lost lease refuses the whole statement (nothing
     * written), and the caller commits each alone to find whose it was. Returns (i, session_version) per commit.
     * The batch never holds two commits of one session or of one (run, step path).
     */
    commitSteps: `WITH c AS (
    SELECT * FROM json_to_recordset($1::json) AS c(i integer, run_id text, step_path text, step_name text, step_type text,
      status text, output text, state_delta text, attempts integer, started_at bigint, finished_at bigint, lease_owner text,
      session_id text, state text, expected_version bigint)
  ),${batchGuards(t, 'finished_at')},
  step AS (
    INSERT INTO ${t}step_results (${STEP_COLUMNS.join(', ')})
    SELECT c.run_id, c.step_path, c.step_name, c.step_type, c.status, c.output::json, c.state_delta::json, c.attempts,
      c.started_at, c.finished_at
    FROM c, guard, lease_guard
    ON CONFLICT (run_id, step_path) DO UPDATE SET ${STEP_UPSERT_SET}
  ),
  events AS (${insertEvents(t, '$2')}),
  outbox AS (
    INSERT INTO ${t}outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT o.key, o.topic, o.payload::json, o.run_id, 'pending', 0, o.at, o.at, o.at
    FROM json_to_recordset($3::json) AS o(key text, topic text, payload text, run_id text, at bigint), guard, lease_guard
    ON CONFLICT (key) DO NOTHING
  )
  ${BATCH_RESULT} CROSS JOIN guard CROSS JOIN lease_guard`,

    /** $1-$4 session guard, $5 run id, $6 status, $7 content, $8 error, $9 metrics, $10 pause, $11 finished_at, $12 steps JSON, $13 events JSON, $14 lease owner. */
    finishRun: `WITH ${leaseGuard(t, '$14', '$5')}, ${sessionGuard(t)},
  run_guard AS (
    SELECT CASE WHEN EXISTS (SELECT 1 FROM ${t}runs WHERE run_id = $5) THEN 1
      ELSE ${t}refuse('${RUN_NOT_FOUND_SQLSTATE}', 'zapflow: run not found') END AS found
  ),
  steps AS (
    INSERT INTO ${t}step_results (${STEP_COLUMNS.join(', ')})
    SELECT s.run_id, s.step_path, s.step_name, s.step_type, s.status, s.output::json, s.state_delta::json, s.attempts, s.started_at, s.finished_at
    FROM json_to_recordset($12::json) AS s(run_id text, step_path text, step_name text, step_type text, status text, output text,
      state_delta text, attempts integer, started_at bigint, finished_at bigint), lease_guard
    ON CONFLICT (run_id, step_path) DO UPDATE SET ${STEP_UPSERT_SET}
  ),
  events AS (${insertEvents(t, '$13')}),
  run AS (
    UPDATE ${t}runs SET status = $6, content = $7::json, error = $8::json, metrics = $9::json, pause = $10::json,
      lease_owner = NULL, lease_expires_at = NULL, updated_at = $4, finished_at = $11
    FROM guard, run_guard, lease_guard WHERE run_id = $5
  )
  SELECT session_version FROM guard, run_guard, lease_guard`,

    /**
     * Several runs' finishes in one statement (group commit, as commitSteps): $1 the finishes (JSON array: run
     * columns, lease_owner, session_id/state/expected_version, `now`, `i` = position in the batch), $2 their
     * write-behind step records, $3 their events. The same guards as finishRun, counted over the batch: an
     * unknown run, a stale session or a lost lease refuses the whole statement (nothing written), and the
     * caller finishes each alone to find whose it was. Returns (i, session_version) per finish. The batch never
     * holds two finishes of one run or of one session.
     */
    finishRuns: `WITH c AS (
    SELECT * FROM json_to_recordset($1::json) AS c(i integer, run_id text, status text, content text, error text, metrics text,
      pause text, finished_at bigint, now bigint, lease_owner text, session_id text, state text, expected_version bigint)
  ),
  run_guard AS (
    SELECT CASE WHEN (SELECT count(*) FROM ${t}runs WHERE run_id = ANY(ARRAY(SELECT run_id FROM c))) = (SELECT count(*) FROM c) THEN 1
      ELSE ${t}refuse('${RUN_NOT_FOUND_SQLSTATE}', 'zapflow: run not found') END AS found
  ),${batchGuards(t, 'now')},
  steps AS (
    INSERT INTO ${t}step_results (${STEP_COLUMNS.join(', ')})
    SELECT s.run_id, s.step_path, s.step_name, s.step_type, s.status, s.output::json, s.state_delta::json, s.attempts, s.started_at, s.finished_at
    FROM json_to_recordset($2::json) AS s(run_id text, step_path text, step_name text, step_type text, status text, output text,
      state_delta text, attempts integer, started_at bigint, finished_at bigint), guard, lease_guard, run_guard
    ON CONFLICT (run_id, step_path) DO UPDATE SET ${STEP_UPSERT_SET}
  ),
  events AS (${insertEvents(t, '$3')}),
  run AS (
    UPDATE ${t}runs r SET status = c.status, content = c.content::json, error = c.error::json, metrics = c.metrics::json,
      pause = c.pause::json, lease_owner = NULL, lease_expires_at = NULL, updated_at = c.now, finished_at = c.finished_at
    FROM c, guard, run_guard, lease_guard WHERE r.run_id = ANY(ARRAY(SELECT run_id FROM c)) AND r.run_id = c.run_id
  )
  ${BATCH_RESULT} CROSS JOIN guard CROSS JOIN run_guard CROSS JOIN lease_guard`,

    /** $1-$4 session guard. */
    saveSession: `WITH ${sessionGuard(t)} SELECT session_version FROM guard`,
    getSession: `SELECT * FROM ${t}sessions WHERE session_id = $1`,
    sessionVersion: `SELECT version FROM ${t}sessions WHERE session_id = $1`,
    createRun: `INSERT INTO ${t}runs (${RUN_COLUMNS.join(', ')}) VALUES (${runPlaceholders.join(', ')})`,
    /** Several runs from a JSON array of objects keyed by column (JSON columns as JSON text): group commit. */
    createRuns: `INSERT INTO ${t}runs (${RUN_COLUMNS.join(', ')})
    SELECT ${RUN_COLUMNS.map((column) => `r.${column}${RUN_JSON_COLUMNS.includes(column) ? '::json' : ''}`).join(', ')}
    FROM json_to_recordset($1::json) AS r(${RUN_COLUMNS.map((column) => `${column} ${RUN_JSON_COLUMNS.includes(column) ? 'text' : RUN_BIGINT_COLUMNS.includes(column) ? 'bigint' : 'text'}`).join(', ')})`,
    getRun: `SELECT * FROM ${t}runs WHERE run_id = $1`,
    listRuns: `SELECT * FROM ${t}runs WHERE ${RUN_FILTER} ORDER BY created_at DESC, run_id COLLATE "C" DESC LIMIT $5 OFFSET $6`,
    countRuns: `SELECT count(*) AS total FROM ${t}runs WHERE ${RUN_FILTER}`,
    markResumed: `UPDATE ${t}runs SET status = 'running', pause = NULL, resume_data = $2::json, lease_owner = $3,
      lease_expires_at = $4, updated_at = $5 WHERE run_id = $1 AND status = 'paused'`,
    getStepResults: `SELECT * FROM ${t}step_results WHERE run_id = $1 ORDER BY finished_at, started_at, step_path COLLATE "C"`,
    appendEvents: insertEvents(t, '$1'),
    getEvents: `SELECT * FROM ${t}events WHERE run_id = $1 ORDER BY seq`,
    heartbeat: `UPDATE ${t}runs SET lease_expires_at = $2 WHERE lease_owner = $1 AND status = 'running'`,
    /** SKIP LOCKED: a concurrent claimer skips the rows this one locked instead of waiting and re-claiming them. */
    claimExpiredRuns: `WITH due AS (
      SELECT run_id FROM ${t}runs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < $3)
      ORDER BY lease_expires_at NULLS FIRST, created_at LIMIT $4 FOR UPDATE SKIP LOCKED
    )
    UPDATE ${t}runs r SET lease_owner = $1, lease_expires_at = $2, updated_at = $3,
      attempts = (COALESCE(r.attempts::jsonb, '[]'::jsonb) || jsonb_build_array(jsonb_build_object('process', $1::text, 'startedAt', $3::bigint)))::json
    FROM due
    WHERE r.run_id = due.run_id RETURNING r.*`,
    tryAcquireLease: `INSERT INTO ${t}leases (name, owner, expires_at) VALUES ($1, $2, $3)
      ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
      WHERE ${t}leases.owner = EXCLUDED.owner OR ${t}leases.expires_at <= $4`,
    releaseLease: `DELETE FROM ${t}leases WHERE name = $1 AND owner = $2`,
    bumpSequence: `INSERT INTO ${t}sequences (name, value) VALUES ($1, 1)
      ON CONFLICT (name) DO UPDATE SET value = ${t}sequences.value + 1 RETURNING value`,
    /** Inserting the key first makes a concurrent caller with the same key wait for this transaction. */
    reserveSequenceKey: `INSERT INTO ${t}sequence_keys (name, idempotency_key, value) VALUES ($1, $2, 0) ON CONFLICT DO NOTHING`,
    setSequenceKey: `UPDATE ${t}sequence_keys SET value = $3 WHERE name = $1 AND idempotency_key = $2`,
    getSequenceKey: `SELECT value FROM ${t}sequence_keys WHERE name = $1 AND idempotency_key = $2`,
    enqueueOutbox: `INSERT INTO ${t}outbox (key, topic, payload, run_id, status, attempts, next_attempt_at, created_at, updated_at)
      SELECT o.key, o.topic, o.payload::json, o.run_id, 'pending', 0, $2, $2, $2
      FROM json_to_recordset($1::json) AS o(key text, topic text, payload text, run_id text)
      ON CONFLICT (key) DO NOTHING`,
    /**
     * Several processes deliver: a row waits while an earlier row of the same topic and conversation is still
     * undelivered (pending or delivering), so one customer's replies reach the provider in order.
     */
    claimOutbox: `WITH due AS (
      SELECT id FROM ${t}outbox o
      WHERE ((status = 'pending' AND next_attempt_at <= $3) OR (status = 'delivering' AND claim_expires_at < $3))
        AND ($5::text[] IS NULL OR topic = ANY($5))
        AND NOT EXISTS (
          SELECT 1 FROM ${t}outbox e WHERE e.status IN ('pending', 'delivering') AND e.id < o.id AND e.topic = o.topic
            AND (e.payload->>'conversationKey') = (o.payload->>'conversationKey'))
      ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
    )
    UPDATE ${t}outbox o SET status = 'delivering', claimed_by = $1, claim_expires_at = $2, attempts = o.attempts + 1, updated_at = $3
    FROM due WHERE o.id = due.id RETURNING o.*`,
    markOutboxDelivered: `UPDATE ${t}outbox SET status = 'delivered', result = $3::json, claimed_by = $2, claim_expires_at = NULL,
      delivered_at = $4, updated_at = $4 WHERE id = $1 AND status IN ('pending', 'delivering')`,
    markOutboxFailed: `UPDATE ${t}outbox SET status = $3, last_error = $4, next_attempt_at = $5, claimed_by = NULL,
      claim_expires_at = NULL, updated_at = $6 WHERE id = $1 AND status = 'delivering' AND claimed_by = $2`,
    extendOutboxClaims: `UPDATE ${t}outbox SET claim_expires_at = $3 WHERE id = ANY($2::bigint[]) AND status = 'delivering' AND claimed_by = $1`,
    listOutbox: `SELECT * FROM ${t}outbox WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR run_id = $2)
      ORDER BY id LIMIT $3 OFFSET $4`,
    getOutbox: `SELECT * FROM ${t}outbox WHERE id = $1`,
    countOutbox: `SELECT COUNT(*) AS n FROM ${t}outbox WHERE status = $1`,
    retryOutbox: `UPDATE ${t}outbox SET status = 'pending', attempts = 0, next_attempt_at = $2, updated_at = $2
      WHERE id = $1 AND status IN ('dead', 'pending')`,
    /** One batch of finished runs with their steps and events; SKIP LOCKED so two purgers split the work. */
    purgeRuns: `WITH doomed AS (
      SELECT run_id FROM ${t}runs WHERE status = ANY($1::text[]) AND updated_at < $2 LIMIT $3 FOR UPDATE SKIP LOCKED
    ),
    steps AS (DELETE FROM ${t}step_results WHERE run_id IN (SELECT run_id FROM doomed) RETURNING 1),
    events AS (DELETE FROM ${t}events WHERE run_id IN (SELECT run_id FROM doomed) RETURNING 1),
    runs AS (DELETE FROM ${t}runs WHERE run_id IN (SELECT run_id FROM doomed) RETURNING 1)
    SELECT (SELECT count(*) FROM runs) AS runs, (SELECT count(*) FROM steps) AS steps, (SELECT count(*) FROM events) AS events`,
    /** Undelivered messages are kept: deleting one would silently drop a side effect a run decided. */
    purgeOutbox: `DELETE FROM ${t}outbox WHERE id IN (SELECT id FROM ${t}outbox WHERE status IN ('delivered', 'dead')
      AND updated_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    /** A session with a run still pending, running or paused is kept: that run will read and write it. */
    purgeSessions: `DELETE FROM ${t}sessions WHERE session_id IN (SELECT s.session_id FROM ${t}sessions s WHERE s.updated_at < $1
      AND NOT EXISTS (SELECT 1 FROM ${t}runs r WHERE r.session_id = s.session_id AND r.status IN ('pending', 'running', 'paused'))
      LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}

export type PostgresSql = ReturnType<typeof postgresSql>;
