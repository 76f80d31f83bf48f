/** In-memory CaseStore (tests, throwaway demos): the SQL one's semantics over arrays. */
import type {
  AuditEntry, AuditEntryInput, AuditFilter, CasePatch, CaseRecord, CaseRun, CaseStore, CaseTypification, CorrectionInput,
  CorrectionRecord,
} from './case-types.js';
import { CaseNotFoundError, searchTerms } from './case-types.js';
import type { CaseCandidate, ClaimRequest } from './case-types.js';
import type { ConversationRecord } from './types.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryCaseStore implements CaseStore {
  private readonly cases = new Map<string, CaseRecord>();
  private readonly runs: CaseRun[] = [];
  private readonly typifications: CaseTypification[] = [];
  private readonly audit: AuditEntry[] = [];
  private readonly corrections: CorrectionRecord[] = [];

  /** `conversations`: the owning store's conversations (claims and the search). */
  constructor(private readonly conversationMap: Map<string, ConversationRecord>) {}

  private conversations(): Iterable<ConversationRecord> {
    return this.conversationMap.values();
  }

  async claimConversation(conversationKey: string, claim: ClaimRequest, now: number): Promise<{ conversation: ConversationRecord; claimed: boolean } | undefined> {
    const current = this.conversationMap.get(conversationKey);
    if (!current) return undefined;
    const held = current.handoffStatus === 'human' && current.assignedAgent !== undefined && current.assignedAgent !== claim.agent;
    if (held && !claim.force) return { conversation: copy(current), claimed: false };
    const next: ConversationRecord = { ...current, handoffStatus: 'human', assignedAgent: claim.agent, assignedAgentName: claim.agentName, lastAgentActivityAt: now, updatedAt: now };
    this.conversationMap.set(conversationKey, next);
    return { conversation: copy(next), claimed: true };
  }

  async ensureOpenCase(candidate: CaseCandidate): Promise<{ case: CaseRecord; opened: boolean }> {
    const open = this.findOpen(candidate.conversationKey);
    if (open) return { case: copy(open), opened: false };
    const record: CaseRecord = {
      id: candidate.id,
      conversationKey: candidate.conversationKey,
      status: 'open',
      ...(candidate.protocolNumber ? { protocolNumber: candidate.protocolNumber } : {}),
      ...(candidate.previousProtocol ? { previousProtocol: candidate.previousProtocol } : {}),
      handoffs: 0,
      openedAt: candidate.openedAt,
      updatedAt: candidate.openedAt,
    };
    this.cases.set(record.id, record);
    return { case: copy(record), opened: true };
  }

  private findOpen(conversationKey: string): CaseRecord | undefined {
    return [...this.cases.values()].find((c) => c.conversationKey === conversationKey && c.status === 'open');
  }

  async openCaseOf(conversationKey: string): Promise<CaseRecord | undefined> {
    const open = this.findOpen(conversationKey);
    return open && copy(open);
  }

  async getCase(id: string): Promise<CaseRecord | undefined> {
    const found = this.cases.get(id);
    return found && copy(found);
  }

  async casesOf(conversationKey: string, limit: number): Promise<CaseRecord[]> {
    return [...this.cases.values()]
      .filter((c) => c.conversationKey === conversationKey)
      .sort((a, b) => b.openedAt - a.openedAt || (a.id < b.id ? 1 : -1))
      .slice(0, Math.max(0, limit))
      .map(copy);
  }

  async updateCase(id: string, patch: CasePatch, now: number): Promise<CaseRecord> {
    const current = this.cases.get(id);
    if (!current) throw new CaseNotFoundError(id);
    const next = { ...current, ...copy(patch), updatedAt: now } as CaseRecord;
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete (next as unknown as Record<string, unknown>)[key];
    this.cases.set(id, next);
    return copy(next);
  }

  async openCasesAnsweredBefore(before: number, limit: number): Promise<CaseRecord[]> {
    return [...this.cases.values()]
      .filter((c) => c.status === 'open' && c.selfServiceAt !== undefined && c.selfServiceAt <= before)
      .sort((a, b) => (a.selfServiceAt ?? 0) - (b.selfServiceAt ?? 0))
      .slice(0, Math.max(0, limit))
      .map(copy);
  }

  async addCaseRun(caseId: string, runId: string, now: number): Promise<void> {
    if (!this.runs.some((r) => r.caseId === caseId && r.runId === runId)) this.runs.push({ caseId, runId, addedAt: now });
  }

  async caseRuns(caseId: string): Promise<CaseRun[]> {
    return this.runs.filter((r) => r.caseId === caseId).sort((a, b) => a.addedAt - b.addedAt || (a.runId < b.runId ? -1 : 1)).map(copy);
  }

  async caseOfRun(runId: string): Promise<CaseRecord | undefined> {
    const run = this.runs.find((r) => r.runId === runId);
    return run ? this.getCase(run.caseId) : undefined;
  }

  async addTypification(entry: Omit<CaseTypification, 'id'>): Promise<CaseTypification> {
    const record = { ...copy(entry), id: this.typifications.length + 1 };
    this.typifications.push(record);
    return copy(record);
  }

  async addRunTypification(entry: Omit<CaseTypification, 'id' | 'source' | 'actor'> & { runId: string }): Promise<boolean> {
    if (this.typifications.some((t) => t.caseId === entry.caseId && t.source === 'bot' && t.runId === entry.runId)) return false;
    await this.addTypification({ ...entry, source: 'bot' });
    return true;
  }

  async typificationsOf(caseId: string): Promise<CaseTypification[]> {
    return this.typifications.filter((t) => t.caseId === caseId).map(copy);
  }

  async recordAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    const record = { ...copy(entry), id: this.audit.length + 1 };
    this.audit.push(record);
    return copy(record);
  }

  async listAudit(filter: AuditFilter): Promise<{ entries: AuditEntry[]; total: number }> {
    const matching = this.audit
      .filter((e) => (filter.conversationKey === undefined || e.conversationKey === filter.conversationKey)
        && (filter.action === undefined || e.action === filter.action)
        && (filter.actorLabel === undefined || e.actorLabel === filter.actorLabel))
      .sort((a, b) => b.at - a.at || b.id - a.id);
    const offset = Math.max(0, filter.offset ?? 0);
    return { entries: matching.slice(offset, offset + Math.max(0, filter.limit ?? 50)).map(copy), total: matching.length };
  }

  async addCorrection(correction: CorrectionInput): Promise<CorrectionRecord> {
    const record = { ...copy(correction), id: this.corrections.length + 1 };
    this.corrections.push(record);
    return copy(record);
  }

  async listCorrections(): Promise<CorrectionRecord[]> {
    return this.corrections.map(copy);
  }

  async purgeBefore(before: number): Promise<{ cases: number; audit: number; corrections: number }> {
    const gone = new Set([...this.cases.values()].filter((c) => c.status === 'resolved' && (c.resolvedAt ?? Infinity) < before).map((c) => c.id));
    for (const id of gone) this.cases.delete(id);
    const keep = <T>(list: T[], stays: (item: T) => boolean): number => {
      const kept = list.filter(stays);
      const removed = list.length - kept.length;
      list.splice(0, list.length, ...kept);
      return removed;
    };
    keep(this.runs, (r) => !gone.has(r.caseId));
    keep(this.typifications, (t) => !gone.has(t.caseId));
    return { cases: gone.size, audit: keep(this.audit, (e) => e.at >= before), corrections: keep(this.corrections, (c) => c.at >= before) };
  }

  async searchConversations(query: string, limit: number): Promise<string[]> {
    const terms = searchTerms(query);
    const protocols = new Set([...this.cases.values()].filter((c) => c.protocolNumber === terms.digits).map((c) => c.conversationKey));
    return [...this.conversations()]
      .filter((c) => terms.digits
        ? c.customer.endsWith(terms.digits) || c.customer.split('@')[0]!.endsWith(terms.digits) || c.protocolNumber === terms.digits || protocols.has(c.conversationKey)
        : terms.name !== undefined && (c.name ?? '').toLowerCase().includes(terms.name))
      .sort((a, b) => b.updatedAt - a.updatedAt || (a.conversationKey < b.conversationKey ? -1 : 1))
      .slice(0, Math.max(0, limit))
      .map((c) => c.conversationKey);
  }
}
