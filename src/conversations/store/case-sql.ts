/**
 * The CaseStore on SQL, written once for SQLite and Postgres: the statements are plain SQL both accept
 * (`?` placeholders, renumbered to `$n` for Postgres; `{p}` is the table prefix), run through the owning
 * store's connection so SQLite writes take its write lock like every other write.
 */
import { randomUUID } from 'node:crypto';
import { compact, decodeJson, encodeJson } from '../../engine/storage-kit.js';
import type {
  AuditEntry, AuditEntryInput, AuditFilter, CasePatch, CaseRecord, CaseRun, CaseStore, CaseTypification, CorrectionInput,
  CorrectionRecord,
} from './case-types.js';
import { CaseNotFoundError, searchTerms } from './case-types.js';
import { conversationFromRow, optNum, optStr, type Row } from './rows.js';
import type { CaseCandidate, ClaimRequest } from './case-types.js';
import type { ConversationRecord } from './types.js';

export interface SqlRunner {
  /** Reads. */
  read(sql: string, params: unknown[]): Promise<Row[]>;
  /** Writes (one statement, its own transaction); returns RETURNING rows. */
  write(sql: string, params: unknown[]): Promise<Row[]>;
}

/** `?` → `$1, $2, …` for Postgres (our statements never hold a literal question mark). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const CASE_COLUMNS: Record<keyof CasePatch, string> = {
  protocolNumber: 'protocol_number',
  handoffs: 'handoffs',
  lastCustomerAt: 'last_customer_at',
  selfServiceAt: 'self_service_at',
  status: 'status',
  resolvedAt: 'resolved_at',
  resolvedBy: 'resolved_by',
  resolution: 'resolution',
};

export function caseFromRow(row: Row): CaseRecord {
  return compact<CaseRecord>({
    id: String(row.id),
    conversationKey: String(row.conversation_key),
    status: row.status as CaseRecord['status'],
    protocolNumber: optStr(row.protocol_number),
    previousProtocol: optStr(row.previous_protocol),
    handoffs: Number(row.handoffs ?? 0),
    openedAt: Number(row.opened_at),
    lastCustomerAt: optNum(row.last_customer_at),
    selfServiceAt: optNum(row.self_service_at),
    resolvedAt: optNum(row.resolved_at),
    resolvedBy: optStr(row.resolved_by),
    resolution: optStr(row.resolution) as CaseRecord['resolution'],
    updatedAt: Number(row.updated_at),
  });
}

function typificationFromRow(row: Row): CaseTypification {
  return compact<CaseTypification>({
    id: Number(row.id),
    caseId: String(row.case_id),
    at: Number(row.at),
    source: row.source as CaseTypification['source'],
    actor: optStr(row.actor),
    path: { businessUnit: String(row.business_unit), product: String(row.product), motive: String(row.motive), submotive: String(row.submotive) },
    confidence: optNum(row.confidence),
    runId: optStr(row.run_id),
  });
}

function auditFromRow(row: Row): AuditEntry {
  const detail = decodeJson(optStr(row.detail) ?? null) as Record<string, unknown> | undefined;
  return compact<AuditEntry>({
    id: Number(row.id),
    at: Number(row.at),
    actorKind: row.actor_kind as AuditEntry['actorKind'],
    actorId: optStr(row.actor_id),
    actorLabel: String(row.actor_label),
    action: String(row.action),
    conversationKey: optStr(row.conversation_key),
    caseId: optStr(row.case_id),
    detail: detail ?? undefined,
  });
}

function correctionFromRow(row: Row): CorrectionRecord {
  return {
    id: Number(row.id),
    at: Number(row.at),
    caseId: String(row.case_id),
    conversationKey: String(row.conversation_key),
    actor: String(row.actor),
    label: { businessUnit: String(row.business_unit), product: String(row.product), motive: String(row.motive), submotive: String(row.submotive) },
    messages: decodeJson(String(row.messages)) as CorrectionRecord['messages'],
  };
}

/** LIKE pattern text with its wildcards escaped (`ESCAPE '\'`). */
const likeEscape = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export class SqlCaseStore implements CaseStore {
  constructor(private readonly db: SqlRunner) {}

  async claimConversation(conversationKey: string, claim: ClaimRequest, now: number): Promise<{ conversation: ConversationRecord; claimed: boolean } | undefined> {
    // The condition is the exclusivity: two agents claiming at once, one row update wins.
    const unlessHeld = claim.force ? '' : " AND (handoff_status <> 'human' OR assigned_agent IS NULL OR assigned_agent = ?)";
    const [row] = await this.db.write(
      "UPDATE {p}conversations SET handoff_status = 'human', assigned_agent = ?, assigned_agent_name = ?, last_agent_activity_at = ?, updated_at = ? " +
        `WHERE conversation_key = ?${unlessHeld} RETURNING *`,
      [claim.agent, claim.agentName, now, now, conversationKey, ...(claim.force ? [] : [claim.agent])],
    );
    if (row) return { conversation: conversationFromRow(row), claimed: true };
    const [current] = await this.db.read('SELECT * FROM {p}conversations WHERE conversation_key = ?', [conversationKey]);
    return current ? { conversation: conversationFromRow(current), claimed: false } : undefined;
  }

  async ensureOpenCase(candidate: CaseCandidate): Promise<{ case: CaseRecord; opened: boolean }> {
    const [inserted] = await this.db.write(
      "INSERT INTO {p}cases (id, conversation_key, status, protocol_number, previous_protocol, handoffs, opened_at, updated_at) VALUES (?, ?, 'open', ?, ?, 0, ?, ?) " +
        'ON CONFLICT DO NOTHING RETURNING *',
      [candidate.id, candidate.conversationKey, candidate.protocolNumber ?? null, candidate.previousProtocol ?? null, candidate.openedAt, candidate.openedAt],
    );
    if (inserted) return { case: caseFromRow(inserted), opened: true };
    const open = await this.openCaseOf(candidate.conversationKey);
    if (open) return { case: open, opened: false };
    // Resolved between our insert and our read: open ours now (a fresh id, the candidate's may be taken).
    return this.ensureOpenCase({ ...candidate, id: randomUUID() });
  }

  async openCaseOf(conversationKey: string): Promise<CaseRecord | undefined> {
    const [row] = await this.db.read("SELECT * FROM {p}cases WHERE conversation_key = ? AND status = 'open'", [conversationKey]);
    return row && caseFromRow(row);
  }

  async getCase(id: string): Promise<CaseRecord | undefined> {
    const [row] = await this.db.read('SELECT * FROM {p}cases WHERE id = ?', [id]);
    return row && caseFromRow(row);
  }

  async casesOf(conversationKey: string, limit: number): Promise<CaseRecord[]> {
    const rows = await this.db.read('SELECT * FROM {p}cases WHERE conversation_key = ? ORDER BY opened_at DESC, id DESC LIMIT ?', [conversationKey, Math.max(0, limit)]);
    return rows.map(caseFromRow);
  }

  async updateCase(id: string, patch: CasePatch, now: number): Promise<CaseRecord> {
    const entries = Object.entries(patch).filter(([field]) => field in CASE_COLUMNS) as Array<[keyof CasePatch, unknown]>;
    const assignments = [...entries.map(([field]) => `${CASE_COLUMNS[field]} = ?`), 'updated_at = ?'].join(', ');
    const [row] = await this.db.write(`UPDATE {p}cases SET ${assignments} WHERE id = ? RETURNING *`, [...entries.map(([, value]) => value ?? null), now, id]);
    if (!row) throw new CaseNotFoundError(id);
    return caseFromRow(row);
  }

  async openCasesAnsweredBefore(before: number, limit: number): Promise<CaseRecord[]> {
    const rows = await this.db.read(
      "SELECT * FROM {p}cases WHERE status = 'open' AND self_service_at IS NOT NULL AND self_service_at <= ? ORDER BY self_service_at LIMIT ?",
      [before, Math.max(0, limit)],
    );
    return rows.map(caseFromRow);
  }

  async addCaseRun(caseId: string, runId: string, now: number): Promise<void> {
    await this.db.write('INSERT INTO {p}case_runs (case_id, run_id, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING', [caseId, runId, now]);
  }

  async caseRuns(caseId: string): Promise<CaseRun[]> {
    const rows = await this.db.read('SELECT * FROM {p}case_runs WHERE case_id = ? ORDER BY added_at, run_id', [caseId]);
    return rows.map((row) => ({ caseId: String(row.case_id), runId: String(row.run_id), addedAt: Number(row.added_at) }));
  }

  async caseOfRun(runId: string): Promise<CaseRecord | undefined> {
    const [row] = await this.db.read('SELECT c.* FROM {p}cases c JOIN {p}case_runs r ON r.case_id = c.id WHERE r.run_id = ? LIMIT 1', [runId]);
    return row && caseFromRow(row);
  }

  async addTypification(entry: Omit<CaseTypification, 'id'>): Promise<CaseTypification> {
    const [row] = await this.db.write(
      'INSERT INTO {p}case_typifications (case_id, at, source, actor, business_unit, product, motive, submotive, confidence, run_id) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [entry.caseId, entry.at, entry.source, entry.actor ?? null, entry.path.businessUnit, entry.path.product, entry.path.motive, entry.path.submotive, entry.confidence ?? null, entry.runId ?? null],
    );
    return typificationFromRow(row!);
  }

  async addRunTypification(entry: Omit<CaseTypification, 'id' | 'source' | 'actor'> & { runId: string }): Promise<boolean> {
    const inserted = await this.db.write(
      'INSERT INTO {p}case_typifications (case_id, at, source, business_unit, product, motive, submotive, confidence, run_id) ' +
        // Typed casts: Postgres gives parameters in a SELECT list no type of their own (they would be text).
        "SELECT ?, CAST(? AS BIGINT), 'bot', ?, ?, ?, ?, CAST(? AS DOUBLE PRECISION), ? " +
        "WHERE NOT EXISTS (SELECT 1 FROM {p}case_typifications WHERE case_id = ? AND source = 'bot' AND run_id = ?) RETURNING id",
      [entry.caseId, entry.at, entry.path.businessUnit, entry.path.product, entry.path.motive, entry.path.submotive, entry.confidence ?? null, entry.runId, entry.caseId, entry.runId],
    );
    return inserted.length > 0;
  }

  async typificationsOf(caseId: string): Promise<CaseTypification[]> {
    const rows = await this.db.read('SELECT * FROM {p}case_typifications WHERE case_id = ? ORDER BY id', [caseId]);
    return rows.map(typificationFromRow);
  }

  async recordAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    const [row] = await this.db.write(
      'INSERT INTO {p}audit_log (at, actor_kind, actor_id, actor_label, action, conversation_key, case_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [entry.at, entry.actorKind, entry.actorId ?? null, entry.actorLabel, entry.action, entry.conversationKey ?? null, entry.caseId ?? null, entry.detail ? encodeJson(entry.detail) : null],
    );
    return auditFromRow(row!);
  }

  async listAudit(filter: AuditFilter): Promise<{ entries: AuditEntry[]; total: number }> {
    const filters: Array<[column: string, value: string | undefined]> = [
      ['conversation_key', filter.conversationKey], ['action', filter.action], ['actor_label', filter.actorLabel],
    ];
    const given = filters.filter((entry): entry is [string, string] => entry[1] !== undefined);
    const conditions = given.map(([column]) => `${column} = ?`);
    const params: unknown[] = given.map(([, value]) => value);
    const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.db.read(`SELECT * FROM {p}audit_log${where} ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`, [...params, Math.max(0, filter.limit ?? 50), Math.max(0, filter.offset ?? 0)]);
    const [count] = await this.db.read(`SELECT count(*) AS total FROM {p}audit_log${where}`, params);
    return { entries: rows.map(auditFromRow), total: Number(count?.total ?? 0) };
  }

  async addCorrection(correction: CorrectionInput): Promise<CorrectionRecord> {
    const { label } = correction;
    const [row] = await this.db.write(
      'INSERT INTO {p}corrections (at, case_id, conversation_key, actor, business_unit, product, motive, submotive, messages) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *',
      [correction.at, correction.caseId, correction.conversationKey, correction.actor, label.businessUnit, label.product, label.motive, label.submotive, encodeJson(correction.messages)],
    );
    return correctionFromRow(row!);
  }

  async listCorrections(): Promise<CorrectionRecord[]> {
    return (await this.db.read('SELECT * FROM {p}corrections ORDER BY id', [])).map(correctionFromRow);
  }

  async purgeBefore(before: number): Promise<{ cases: number; audit: number; corrections: number }> {
    const old = "SELECT id FROM {p}cases WHERE status = 'resolved' AND resolved_at < ?";
    await this.db.write(`DELETE FROM {p}case_runs WHERE case_id IN (${old})`, [before]);
    await this.db.write(`DELETE FROM {p}case_typifications WHERE case_id IN (${old})`, [before]);
    const cases = await this.db.write("DELETE FROM {p}cases WHERE status = 'resolved' AND resolved_at < ? RETURNING id", [before]);
    const audit = await this.db.write('DELETE FROM {p}audit_log WHERE at < ? RETURNING id', [before]);
    const corrections = await this.db.write('DELETE FROM {p}corrections WHERE at < ? RETURNING id', [before]);
    return { cases: cases.length, audit: audit.length, corrections: corrections.length };
  }

  async searchConversations(query: string, limit: number): Promise<string[]> {
    const terms = searchTerms(query);
    let rows: Row[];
    if (terms.digits) {
      rows = await this.db.read(
        "SELECT c.conversation_key FROM {p}conversations c WHERE c.customer LIKE ? ESCAPE '\\' OR c.customer LIKE ? ESCAPE '\\' OR c.protocol_number = ? " +
          'OR c.conversation_key IN (SELECT conversation_key FROM {p}cases WHERE protocol_number = ?) ORDER BY c.updated_at DESC, c.conversation_key LIMIT ?',
        [`%${terms.digits}`, `%${terms.digits}@%`, terms.digits, terms.digits, Math.max(0, limit)],
      );
    } else if (terms.name) {
      rows = await this.db.read(
        "SELECT conversation_key FROM {p}conversations WHERE lower(name) LIKE ? ESCAPE '\\' ORDER BY updated_at DESC, conversation_key LIMIT ?",
        [`%${likeEscape(terms.name)}%`, Math.max(0, limit)],
      );
    } else return [];
    return rows.map((row) => String(row.conversation_key));
  }
}
