/**
 * Cases: one customer problem, one protocol number.
 *
 * A case opens with the first customer message of a conversation that has no open case, and every later
 * turn belongs to it until it is resolved (an agent's Resolve, or the bot's idle close after a self-service
 * answer). Its protocol is minted once, from storage's sequence keyed on the case id (a crash or a retry
 * gets the same number back), and every run of the case uses it: three messages, one protocol. A message
 * after resolution opens a new case that references the previous protocol.
 */
import { timeOrderedId, type Storage } from '../engine/index.js';
import type { TypificationRecord } from '../workflows/session-state.js';
import { allocateProtocolNumber } from '../workflows/shared/protocol.js';
import type { CaseRecord } from '../conversations/store/case-types.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { NoCaseError } from './errors.js';
export { NoCaseError };

export interface CaseServiceDeps {
  storage: Pick<Storage, 'nextSequenceValue'>;
  store: ServiceStore;
  now?: () => number;
}

export class CaseService {
  private readonly now: () => number;

  constructor(private readonly deps: CaseServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** The conversation's open case, opened now (with its protocol) when there is none. */
  async current(conversationKey: string): Promise<CaseRecord> {
    const open = await this.deps.store.cases.openCaseOf(conversationKey);
    if (open) return this.withProtocol(open);
    const [previous] = await this.deps.store.cases.casesOf(conversationKey, 1);
    // The protocol is minted before the case is stored, so opening a case is one write. A crash (or another
    // thread opening the conversation's case first) leaves that number unused: a gap, never a duplicate.
    const id = timeOrderedId();
    const { case: opened } = await this.deps.store.cases.ensureOpenCase({
      id,
      conversationKey,
      protocolNumber: await this.mintProtocol(id),
      ...(previous?.protocolNumber ? { previousProtocol: previous.protocolNumber } : {}),
      openedAt: this.now(),
    });
    return this.withProtocol(opened);
  }

  private mintProtocol(caseId: string): Promise<string> {
    return allocateProtocolNumber(this.deps.storage as Storage, `case:${caseId}`, new Date(this.now()));
  }

  /** Mints the case's protocol at first need (idempotent on the case id: one number per case, ever). */
  async withProtocol(record: CaseRecord): Promise<CaseRecord> {
    if (record.protocolNumber) return record;
    return this.deps.store.cases.updateCase(record.id, { protocolNumber: await this.mintProtocol(record.id) }, this.now());
  }

  /** The id of the case's next handoff: the protocol for the first (the key format alerts always had), `<protocol>.<n>` after. */
  nextHandoffRef(record: CaseRecord): string {
    const protocol = record.protocolNumber ?? record.id;
    return record.handoffs === 0 ? protocol : `${protocol}.${record.handoffs + 1}`;
  }

  async customerWrote(record: CaseRecord): Promise<CaseRecord> {
    return this.deps.store.cases.updateCase(record.id, { lastCustomerAt: this.now() }, this.now());
  }

  async addRun(caseId: string, runId: string): Promise<void> {
    await this.deps.store.cases.addCaseRun(caseId, runId, this.now());
  }

  /** A turn's typification refines the case; earlier ones stay in its history (once per run, even when re-processed). */
  async botTypified(caseId: string, typification: TypificationRecord): Promise<void> {
    await this.deps.store.cases.addRunTypification({
      caseId, at: typification.at, path: typification.path, confidence: typification.confidence, runId: typification.runId,
    });
  }

  /** A handoff of the case was created under `handoffRef` (its n-th, counted from the ref). */
  async handedOff(record: CaseRecord, handoffRef: string): Promise<void> {
    const nth = handoffRef === record.protocolNumber ? 1 : Number(/\.(\d+)$/.exec(handoffRef)?.[1] ?? record.handoffs + 1);
    if (nth > record.handoffs) await this.deps.store.cases.updateCase(record.id, { handoffs: nth }, this.now());
  }

  async selfServiceAnswered(caseId: string): Promise<void> {
    await this.deps.store.cases.updateCase(caseId, { selfServiceAt: this.now() }, this.now());
  }

  async resolve(record: CaseRecord, by: string, resolution: 'agent' | 'idle'): Promise<CaseRecord> {
    const now = this.now();
    return this.deps.store.cases.updateCase(record.id, { status: 'resolved', resolvedAt: now, resolvedBy: by, resolution }, now);
  }

  /**
   * Closes the open cases whose customer got a self-service answer and wrote nothing for `idleMs`, while
   * the bot handles the conversation (a case waiting for or held by a person is the agents' to resolve).
   */
  async closeIdle(idleMs: number, limit = 1000): Promise<CaseRecord[]> {
    const closed: CaseRecord[] = [];
    for (const candidate of await this.deps.store.cases.openCasesAnsweredBefore(this.now() - idleMs, limit)) {
      const answeredAt = candidate.selfServiceAt ?? 0;
      if ((candidate.lastCustomerAt ?? 0) > answeredAt) continue; // the customer wrote after the answer
      const conversation = await this.deps.store.getConversation(candidate.conversationKey);
      if (conversation && conversation.handoffStatus !== 'bot') continue;
      closed.push(await this.resolve(candidate, 'bot', 'idle'));
      await this.deps.store.cases.recordAudit({
        at: this.now(), actorKind: 'system', actorLabel: 'bot', action: 'resolve', conversationKey: candidate.conversationKey, caseId: candidate.id,
        detail: { protocolNumber: candidate.protocolNumber ?? null, resolution: 'idle' },
      });
    }
    return closed;
  }
}
