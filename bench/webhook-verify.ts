/**
 * After a load: is the backlog drained, and was every acknowledged message processed exactly once? Read
 * straight from the service's tables (SQLite file or Postgres, the bench's own table prefix) and the dry-run
 * WhatsApp sent-message log, from outside the service process.
 *
 * Exactly once, as a customer would notice it:
 * - lost: an acked message that is not in the inbox, or is still pending/processing after the drain;
 * - duplicated: a message stored twice, a typification run whose id no inbox row carries (a batch processed
 *   again under another run), more customer replies than typification runs, a (key, part) sent twice, or
 *   more forwards to agents than messages forwarded;
 * - unprocessed: an acked message marked `done` by a turn whose input did not hold it (the run its row names
 *   does not exist, or its `batchMessageIds` do not list the message), or listed by several turns. A crash
 *   that resumed an earlier run for newer messages showed up exactly so: `done`, under a run id that never
 *   existed, and no reply.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { BENCH_AGENTS } from './webhook-plan.js';
import { intakeSpoolFile } from '../src/conversations/store/sqlite-intake-spool.js';

export interface Backlog {
  /** Inbox rows not yet done/forwarded. */
  inbox: number;
  /** Outbox rows not yet delivered (or dead). */
  outbox: number;
  /** Workflow runs still running. */
  runs: number;
}

export interface Snapshot {
  inbox: Array<{ message_id: string; status: string; run_id: string | null }>;
  runs: Array<{ run_id: string; workflow_name: string; status: string; parent_run_id: string | null; input: string | null }>;
  outbox: Array<{ key: string; topic: string; status: string }>;
}

export interface SentRecord {
  idempotency_key: string | null;
  part: number;
  recipient: string;
}

export interface BenchDatabase {
  backlog(): Promise<Backlog>;
  snapshot(): Promise<Snapshot>;
  /** Message ids in the inbox (the floor has no other table). */
  inboxMessageIds(): Promise<string[]>;
  /**
   * What the WhatsApp MCP server sent, when it keeps its log in this database (Postgres: one table all
   * processes share); absent when the log is the data directory's SQLite file (readSentLog).
   */
  sentLog?(): Promise<SentRecord[]>;
  close(): Promise<void>;
}

const BACKLOG_SQL = (p: string) =>
  `SELECT (SELECT count(*) FROM ${p}inbox WHERE status IN ('pending', 'processing')) AS inbox, ` +
  `(SELECT count(*) FROM ${p}outbox WHERE status IN ('pending', 'delivering')) AS outbox, ` +
  `(SELECT count(*) FROM ${p}runs WHERE status = 'running') AS runs`;
const INBOX_SQL = (p: string) => `SELECT message_id, status, run_id FROM ${p}inbox WHERE kind = 'text'`;
// The input as text (json in Postgres, text in SQLite): parsed by the verifier.
const RUNS_SQL = (p: string) => `SELECT run_id, workflow_name, status, parent_run_id, CAST(input AS text) AS input FROM ${p}runs`;
const OUTBOX_SQL = (p: string) => `SELECT key, topic, status FROM ${p}outbox`;

/** Read-only beside the running service (WAL: readers never block its writer). */
export function sqliteBenchDatabase(file: string, prefix: string): BenchDatabase {
  let db: Database.Database | undefined;
  const open = (): Database.Database | undefined => {
    if (!db && existsSync(file)) db = new Database(file, { readonly: true, timeout: 5000 });
    return db;
  };
  const spoolFile = intakeSpoolFile(file);
  let spool: Database.Database | undefined;
  const unmovedSpooled = (): number => {
    if (!spool && existsSync(spoolFile)) spool = new Database(spoolFile, { readonly: true, timeout: 5000 });
    const conn = open();
    if (!spool || !conn) return 0;
    const spooled = spool.prepare(`SELECT provider, message_id FROM ${prefix}intake_spool`).all() as Array<{ provider: string; message_id: string }>;
    const inInbox = conn.prepare(`SELECT 1 FROM ${prefix}inbox WHERE provider = ? AND message_id = ?`);
    return spooled.filter((row) => inInbox.get(row.provider, row.message_id) === undefined).length;
  };
  return {
    async backlog() {
      const row = open()?.prepare(BACKLOG_SQL(prefix)).get() as Backlog | undefined;
      if (!row) return { inbox: 0, outbox: 0, runs: 0 };
      // Acked messages the service has not moved from its intake spool into the inbox yet are owed too.
      return { ...row, inbox: row.inbox + unmovedSpooled() };
    },
    async snapshot() {
      const conn = open();
      if (!conn) return { inbox: [], runs: [], outbox: [] };
      return {
        inbox: conn.prepare(INBOX_SQL(prefix)).all() as Snapshot['inbox'],
        runs: conn.prepare(RUNS_SQL(prefix)).all() as Snapshot['runs'],
        outbox: conn.prepare(OUTBOX_SQL(prefix)).all() as Snapshot['outbox'],
      };
    },
    async inboxMessageIds() {
      return (open()?.prepare(`SELECT message_id FROM ${prefix}inbox`).pluck().all() ?? []) as string[];
    },
    async close() {
      db?.close();
      db = undefined;
      spool?.close();
      spool = undefined;
    },
  };
}

export function postgresBenchDatabase(databaseUrl: string, prefix: string): BenchDatabase & { drop(): Promise<void> } {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  pool.on('error', () => {});
  const p = `public.${prefix}`;
  return {
    async sentLog() {
      const { rows } = await pool.query<SentRecord>(`SELECT idempotency_key, part, recipient FROM ${p}sent_messages WHERE state = 'sent'`);
      return rows;
    },
    async backlog() {
      try {
        const { rows } = await pool.query<Record<keyof Backlog, string>>(BACKLOG_SQL(p));
        return { inbox: Number(rows[0]?.inbox), outbox: Number(rows[0]?.outbox), runs: Number(rows[0]?.runs) };
      } catch (error) {
        // The tables appear when the service has migrated; until then nothing is owed.
        if ((error as { code?: string }).code === '42P01') return { inbox: 0, outbox: 0, runs: 0 };
        throw error;
      }
    },
    async snapshot() {
      return {
        inbox: (await pool.query<Snapshot['inbox'][number]>(INBOX_SQL(p))).rows,
        runs: (await pool.query<Snapshot['runs'][number]>(RUNS_SQL(p))).rows,
        outbox: (await pool.query<Snapshot['outbox'][number]>(OUTBOX_SQL(p))).rows,
      };
    },
    async inboxMessageIds() {
      return (await pool.query<{ message_id: string }>(`SELECT message_id FROM ${p}inbox`)).rows.map((row) => row.message_id);
    },
    /** Drops every table and function the run created under its prefix. */
    async drop() {
      const like = `${prefix.replaceAll('_', '\\_')}%`;
      const tables = await pool.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE $1", [like]);
      for (const { name } of tables.rows) await pool.query(`DROP TABLE IF EXISTS public."${name}" CASCADE`);
      const functions = await pool.query<{ signature: string }>(
        "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND p.proname LIKE $1",
        [like],
      );
      for (const { signature } of functions.rows) await pool.query(`DROP FUNCTION IF EXISTS ${signature}`);
    },
    async close() {
      await pool.end();
    },
  };
}

export function readSentLog(file: string): SentRecord[] {
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT idempotency_key, part, recipient FROM sent_messages').all() as SentRecord[];
  } finally {
    db.close();
  }
}

export interface Verification {
  acked: number;
  /** Text messages in the inbox (stored; some may never have been acked when a kill cut the answer). */
  stored: number;
  lost: number;
  duplicated: number;
  done: number;
  forwarded: number;
  /** Acked messages marked done by a turn whose input did not contain them (or by several turns). */
  unprocessed: number;
  /** Coalesced batches: distinct run ids on the inbox rows. */
  batches: number;
  typificationRuns: number;
  handoffRuns: number;
  runsNotCompleted: number;
  customerReplies: number;
  agentMessages: number;
  outboxNotDelivered: number;
  problems: string[];
}

const ROOT_TYPIFICATION = 'conversation-typification';

/** The inbox message ids a turn's run was given (`additionalData.batchMessageIds`, set by the turn processor). */
function batchMessageIds(input: string | null): string[] {
  if (input === null) return [];
  try {
    const ids = (JSON.parse(input) as { additionalData?: { batchMessageIds?: unknown } }).additionalData?.batchMessageIds;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * Every acked message marked `done` was in the input of the turn that processed it: its row's run id names
 * a typification run whose batch lists the message, and no other turn's batch lists it too.
 */
function checkTurnInputs(ackedIds: readonly string[], snapshot: Snapshot, typification: Snapshot['runs']): number {
  const batchOf = new Map(typification.map((run) => [run.run_id, new Set(batchMessageIds(run.input))]));
  const turnsListing = new Map<string, number>();
  for (const batch of batchOf.values()) for (const id of batch) turnsListing.set(id, (turnsListing.get(id) ?? 0) + 1);
  const rowOf = new Map(snapshot.inbox.map((row) => [row.message_id, row]));
  let unprocessed = 0;
  for (const id of new Set(ackedIds)) {
    const row = rowOf.get(id);
    if (row?.status !== 'done') continue; // lost (counted above) or forwarded to the agents
    const processedBy = row.run_id === null ? undefined : batchOf.get(row.run_id);
    if (processedBy?.has(id) !== true || turnsListing.get(id) !== 1) unprocessed++;
  }
  return unprocessed;
}

export function verify(ackedIds: readonly string[], snapshot: Snapshot, sent: readonly SentRecord[]): Verification {
  const problems: string[] = [];
  const byMessage = new Map<string, Snapshot['inbox'][number][]>();
  for (const row of snapshot.inbox) byMessage.set(row.message_id, [...(byMessage.get(row.message_id) ?? []), row]);

  let lost = 0;
  let duplicated = 0;
  for (const id of new Set(ackedIds)) {
    const rows = byMessage.get(id) ?? [];
    if (rows.length === 0 || !rows.every((row) => row.status === 'done' || row.status === 'forwarded')) lost++;
  }
  for (const rows of byMessage.values()) if (rows.length > 1) duplicated += rows.length - 1;
  if (lost > 0) problems.push(`${lost} acked message(s) missing or never processed`);
  if (duplicated > 0) problems.push(`${duplicated} message(s) stored more than once`);

  const done = snapshot.inbox.filter((row) => row.status === 'done').length;
  const forwarded = snapshot.inbox.filter((row) => row.status === 'forwarded').length;
  const inboxRunIds = new Set(snapshot.inbox.map((row) => row.run_id).filter((id): id is string => id !== null));

  const typification = snapshot.runs.filter((run) => run.workflow_name === ROOT_TYPIFICATION && run.parent_run_id === null);
  const orphans = typification.filter((run) => !inboxRunIds.has(run.run_id));
  if (orphans.length > 0) {
    duplicated += orphans.length;
    problems.push(`${orphans.length} typification run(s) not tied to any inbox batch (a batch processed twice?)`);
  }
  const unprocessed = checkTurnInputs(ackedIds, snapshot, typification);
  if (unprocessed > 0) problems.push(`${unprocessed} acked message(s) marked done by a turn whose input did not contain them (or by several turns)`);
  const runsNotCompleted = snapshot.runs.filter((run) => run.status !== 'completed').length;
  if (runsNotCompleted > 0) problems.push(`${runsNotCompleted} workflow run(s) not completed`);

  const agents = new Set(BENCH_AGENTS);
  const isAgent = (recipient: string) => agents.has(recipient.replace(/\D/g, ''));
  const customerReplies = sent.filter((record) => record.part === 0 && !isAgent(record.recipient)).length;
  const agentMessages = sent.filter((record) => record.part === 0 && isAgent(record.recipient)).length;
  if (customerReplies > typification.length) {
    duplicated += customerReplies - typification.length;
    problems.push(`${customerReplies} customer replies for ${typification.length} typification runs`);
  } else if (customerReplies < typification.length) {
    problems.push(`${typification.length - customerReplies} typification run(s) without a reply to the customer`);
  }
  const sentKeys = new Map<string, number>();
  for (const record of sent) {
    if (record.idempotency_key === null) continue;
    const key = `${record.idempotency_key}#${record.part}`;
    sentKeys.set(key, (sentKeys.get(key) ?? 0) + 1);
  }
  const resent = [...sentKeys.values()].filter((n) => n > 1).length;
  if (resent > 0) {
    duplicated += resent;
    problems.push(`${resent} idempotency key(s) sent more than once`);
  }
  const forwards = snapshot.outbox.filter((row) => row.key.startsWith('forward:')).length;
  if (forwards !== forwarded) problems.push(`${forwards} forwards to agents for ${forwarded} forwarded message(s)`);
  const outboxNotDelivered = snapshot.outbox.filter((row) => row.status !== 'delivered').length;
  if (outboxNotDelivered > 0) problems.push(`${outboxNotDelivered} outbox row(s) not delivered`);

  return {
    acked: new Set(ackedIds).size,
    stored: snapshot.inbox.length,
    lost,
    duplicated,
    unprocessed,
    done,
    forwarded,
    batches: inboxRunIds.size,
    typificationRuns: typification.length,
    handoffRuns: snapshot.runs.filter((run) => run.workflow_name === 'human-handoff').length,
    runsNotCompleted,
    customerReplies,
    agentMessages,
    outboxNotDelivered,
    problems,
  };
}
