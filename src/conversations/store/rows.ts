/**
 * Row ⇄ record mapping shared by the SQLite and Postgres service stores: same column names, epoch-ms
 * integers, `raw` as JSON text. Absent optional fields are SQL NULL and come back as missing keys, so records
 * compare equal to the in-memory store's.
 */
import { compact, decodeJson, encodeJson } from '../../engine/storage-kit.js';
import { checkPatch } from './shared.js';
import type {
  ConversationExpectation, ConversationPatch, ConversationRecord, HandoffStatus, InboxItem, InboxKind, InboxRecord, InboxStatus, Urgency,
} from './types.js';

/** A row as a driver returns it (both drivers are set up to return integers as numbers, JSON as text). */
export type Row = Record<string, unknown>;

export const optNum = (value: unknown): number | undefined => (value === null || value === undefined ? undefined : Number(value));
export const optStr = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));

/** Columns an insert writes, in parameter order (status and received_at are set by the store). */
export const INBOX_INSERT_COLUMNS = ['provider', 'message_id', 'conversation_key', 'kind', 'customer', 'name', 'text', 'sent_at', 'raw'] as const;

export function inboxItemToParams(item: InboxItem): unknown[] {
  return [item.provider, item.messageId, item.conversationKey, item.kind, item.customer, item.name ?? null, item.text, item.sentAt, encodeJson(item.raw)];
}

export function inboxFromRow(row: Row): InboxRecord {
  return compact<InboxRecord>({
    id: Number(row.id),
    provider: row.provider as InboxRecord['provider'],
    messageId: String(row.message_id),
    conversationKey: String(row.conversation_key),
    kind: row.kind as InboxKind,
    customer: String(row.customer),
    name: optStr(row.name),
    text: String(row.text),
    sentAt: Number(row.sent_at),
    raw: decodeJson(row.raw as string | null),
    status: row.status as InboxStatus,
    receivedAt: Number(row.received_at),
    runId: optStr(row.run_id),
    processedAt: optNum(row.processed_at),
  });
}

export function conversationFromRow(row: Row): ConversationRecord {
  return compact<ConversationRecord>({
    conversationKey: String(row.conversation_key),
    provider: row.provider as ConversationRecord['provider'],
    customer: String(row.customer),
    name: optStr(row.name),
    handoffStatus: row.handoff_status as HandoffStatus,
    assignedAgent: optStr(row.assigned_agent),
    assignedAgentName: optStr(row.assigned_agent_name),
    handoffRef: optStr(row.handoff_ref),
    protocolNumber: optStr(row.protocol_number),
    urgency: optStr(row.urgency) as Urgency | undefined,
    reason: optStr(row.reason),
    waitingSince: optNum(row.waiting_since),
    realerts: Number(row.realerts),
    lastAlertAt: optNum(row.last_alert_at),
    lastCustomerMessageAt: optNum(row.last_customer_message_at),
    lastAgentActivityAt: optNum(row.last_agent_activity_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
}

const snakeCase = (field: string): string => field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** The patch as (column, value) pairs, with the in-memory store's rules (see `checkPatch`): cleared → NULL. */
export function patchAssignments(conversationKey: string, patch: ConversationPatch): Array<[column: string, value: unknown]> {
  checkPatch(conversationKey, patch);
  return Object.entries(patch).map(([field, value]) => [snakeCase(field), value ?? (field === 'realerts' ? 0 : null)]);
}

/**
 * The SQL conditions of a ConversationExpectation (`AND …`), with `placeholder(n)` for the n-th value
 * (SQLite `?`, Postgres `$n`) and the values in order.
 */
export function expectationConditions(expected: ConversationExpectation | undefined, placeholder: (index: number) => string, firstIndex: number): { sql: string; values: unknown[] } {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const next = (value: unknown) => {
    values.push(value);
    return placeholder(firstIndex + values.length - 1);
  };
  if (expected?.handoffStatus !== undefined) {
    conditions.push(expected.handoffStatus.length === 0 ? '1 = 0' : `handoff_status IN (${expected.handoffStatus.map((status) => next(status)).join(', ')})`);
  }
  if (expected?.realerts !== undefined) conditions.push(`realerts = ${next(expected.realerts)}`);
  if (expected?.updatedAt !== undefined) conditions.push(`updated_at = ${next(expected.updatedAt)}`);
  return { sql: conditions.map((condition) => ` AND ${condition}`).join(''), values };
}

/** In memory: does the record meet the expectation? */
export function meetsExpectation(record: ConversationRecord, expected: ConversationExpectation | undefined): boolean {
  if (expected === undefined) return true;
  if (expected.handoffStatus !== undefined && !expected.handoffStatus.includes(record.handoffStatus)) return false;
  if (expected.realerts !== undefined && record.realerts !== expected.realerts) return false;
  if (expected.updatedAt !== undefined && record.updatedAt !== expected.updatedAt) return false;
  return true;
}
