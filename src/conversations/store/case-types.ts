/**
 * Cases and what people do with them, beside the inbox and conversations tables (same three backends):
 *
 * - a **case** is one customer problem: one protocol number, the runs of its turns (and reruns), its
 *   typification history; it is `open` until an agent resolves it or the bot closes it for idleness;
 * - the **audit log**: who did what and when (claim, release, reply, resolve, correction, rerun, retry, sign-in);
 * - **corrections**: typifications an agent set by hand, kept as labeled examples for the classifier;
 * - the **search** over conversations (phone digits, customer name, protocol).
 *
 * Runs and typifications are separate append-only rows, not lists inside the case row: a turn and an agent
 * writing at once both land, and nothing the customer was told is ever removed.
 */
import type { ConversationRecord } from './types.js';
import { CaseNotFoundError } from './errors.js';
export { CaseNotFoundError };

export type CaseStatus = 'open' | 'resolved';
/** How a case ended: an agent pressed Resolve, or the bot closed it after a self-service answer and silence. */
export type CaseResolution = 'agent' | 'idle';

export interface CaseRecord {
  id: string;
  conversationKey: string;
  status: CaseStatus;
  /** Minted when the case opens (or at first need): the one number the customer gets for this problem. */
  protocolNumber?: string;
  /** The protocol of the case resolved before this one opened, in the same conversation. */
  previousProtocol?: string;
  /** Handoffs created in this case (0 while the bot handles it). */
  handoffs: number;
  openedAt: number;
  lastCustomerAt?: number;
  /** Last time the bot gave a self-service answer (the idle close counts from it). */
  selfServiceAt?: number;
  resolvedAt?: number;
  /** Actor label (`ana`, `ADMIN_TOKEN`) or `bot` for the idle close. */
  resolvedBy?: string;
  resolution?: CaseResolution;
  updatedAt: number;
}

export type CasePatch = Partial<Pick<CaseRecord, 'protocolNumber' | 'handoffs' | 'lastCustomerAt' | 'selfServiceAt' | 'status' | 'resolvedAt' | 'resolvedBy' | 'resolution'>>;

export interface TypificationPath {
  businessUnit: string;
  product: string;
  motive: string;
  submotive: string;
}

export interface CaseTypification {
  id: number;
  caseId: string;
  at: number;
  /** `bot`: a turn's typification; `agent`: a correction. */
  source: 'bot' | 'agent';
  /** Actor label for corrections. */
  actor?: string;
  path: TypificationPath;
  confidence?: number;
  runId?: string;
}

export interface CaseRun {
  caseId: string;
  runId: string;
  addedAt: number;
}

export type AuditAction = 'sign_in' | 'sign_out' | 'claim' | 'release' | 'reply' | 'resolve' | 'correction' | 'rerun' | 'retry';

export interface AuditEntryInput {
  at: number;
  /** `system` for what the service did by itself (the idle close). */
  actorKind: 'user' | 'token' | 'system';
  actorId?: string;
  actorLabel: string;
  action: AuditAction | (string & {});
  conversationKey?: string;
  caseId?: string;
  /** Small JSON detail (protocol, previous holder, run ids); never message text. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends AuditEntryInput {
  id: number;
}

export interface AuditFilter {
  conversationKey?: string;
  action?: string;
  actorLabel?: string;
  limit?: number;
  offset?: number;
}

export interface CorrectionInput {
  at: number;
  caseId: string;
  conversationKey: string;
  actor: string;
  label: TypificationPath;
  /** The case's conversation, oldest first (customer and bot turns), as the dataset stores it. */
  messages: Array<{ role: 'customer' | 'bot' | 'agent'; text: string }>;
}

export interface CorrectionRecord extends CorrectionInput {
  id: number;
}

export interface ClaimRequest {
  agent: string;
  agentName: string;
  /** Take it even from another agent (an admin's explicit reassignment). */
  force: boolean;
}

/** A case to open (CaseStore.ensureOpenCase). */
export interface CaseCandidate {
  id: string;
  conversationKey: string;
  previousProtocol?: string;
  protocolNumber?: string;
  openedAt: number;
}

export interface CaseStore {
  /**
   * Gives the conversation to `agent` (→ `human`) in one conditional write, unless another agent holds it
   * and `force` is false: then `claimed` is false and `conversation` shows the holder. Undefined when the
   * conversation does not exist.
   */
  claimConversation(conversationKey: string, claim: ClaimRequest, now: number): Promise<{ conversation: ConversationRecord; claimed: boolean } | undefined>;
  /**
   * The conversation's open case, opening `candidate` when there is none (at most one open case per
   * conversation, even with two processes racing). `opened` tells which happened. The candidate may carry
   * its protocol already (minted before the insert, so opening a case is one write).
   */
  ensureOpenCase(candidate: CaseCandidate): Promise<{ case: CaseRecord; opened: boolean }>;
  openCaseOf(conversationKey: string): Promise<CaseRecord | undefined>;
  getCase(id: string): Promise<CaseRecord | undefined>;
  /** The conversation's cases, newest first. */
  casesOf(conversationKey: string, limit: number): Promise<CaseRecord[]>;
  /** @throws CaseNotFoundError */
  updateCase(id: string, patch: CasePatch, now: number): Promise<CaseRecord>;
  /** Open cases the bot answered with a self-service text at or before `before` (idle-close candidates). */
  openCasesAnsweredBefore(before: number, limit: number): Promise<CaseRecord[]>;

  addCaseRun(caseId: string, runId: string, now: number): Promise<void>;
  caseRuns(caseId: string): Promise<CaseRun[]>;
  caseOfRun(runId: string): Promise<CaseRecord | undefined>;

  addTypification(entry: Omit<CaseTypification, 'id'>): Promise<CaseTypification>;
  /**
   * The bot's typification of a run, unless one of that run is recorded already (a replayed turn): checked
   * inside the write, without reading the case's history. Whether it was added.
   */
  addRunTypification(entry: Omit<CaseTypification, 'id' | 'source' | 'actor'> & { runId: string }): Promise<boolean>;
  /** Oldest first. */
  typificationsOf(caseId: string): Promise<CaseTypification[]>;

  recordAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  /** Newest first, with the total matching the filter. */
  listAudit(filter: AuditFilter): Promise<{ entries: AuditEntry[]; total: number }>;

  addCorrection(correction: CorrectionInput): Promise<CorrectionRecord>;
  /** Oldest first. */
  listCorrections(): Promise<CorrectionRecord[]>;

  /**
   * Retention (LGPD): deletes cases resolved before `before` with their runs and typifications, audit
   * entries and corrections older than it. Open cases are never purged.
   */
  purgeBefore(before: number): Promise<{ cases: number; audit: number; corrections: number }>;

  /**
   * Conversations matching a phone (full number or its last digits), a customer name (case-insensitive
   * substring) or a protocol number of any of its cases; newest activity first.
   */
  searchConversations(query: string, limit: number): Promise<string[]>;
}

/** What a search query means: digits (a phone or a protocol) or words (a name). */
export function searchTerms(query: string): { digits?: string; name?: string } {
  const trimmed = query.trim();
  const digits = trimmed.replace(/[\s+().-]/g, '');
  if (/^\d{2,}$/.test(digits)) return { digits };
  return trimmed.length > 0 ? { name: trimmed.toLowerCase() } : {};
}
