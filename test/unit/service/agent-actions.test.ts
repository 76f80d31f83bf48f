/**
 * What signed-in agents and admins may do (AgentActions over in-memory stores): exclusive claims between
 * agents, an admin's explicit reassignment, what the customer is told (outbox rows), the audit entries,
 * and the bot's idle close of cases (the scheduled job).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentActions } from '../../../src/service/agent-actions.js';
import { buildCaseWork } from '../../../src/service/case-work.js';
import type { CaseService } from '../../../src/service/cases.js';
import { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { caseIdleCloseJob } from '../../../src/cron/jobs/case-idle-close.js';
import { idleReleaseJob } from '../../../src/cron/jobs/idle-release.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import { silentLogger } from '../../../src/logging.js';
import type { Actor } from '../../../src/people/actor.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const ana: Actor = { kind: 'user', userId: 'u-ana', username: 'ana', displayName: 'Ana Souza', role: 'agent' };
const bia: Actor = { kind: 'user', userId: 'u-bia', username: 'bia', displayName: 'Bia Lima', role: 'agent' };
const carla: Actor = { kind: 'user', userId: 'u-carla', username: 'carla', displayName: 'Carla Admin', role: 'admin' };
const KEY = 'meta:100000000000002:5511900000501';
const HOUR = 3_600_000;

let now = Date.UTC(2026, 11, 7, 12);
let storage: MemoryStorage;
let store: MemoryServiceStore;
let cases: CaseService;
let actions: AgentActions;

beforeEach(async () => {
  now = Date.UTC(2026, 11, 7, 12);
  storage = new MemoryStorage();
  store = new MemoryServiceStore();
  const clock = () => now;
  ({ cases, actions } = buildCaseWork({ storage, serviceStore: store, taxonomy: defaultTaxonomy(), now: clock }));
  await store.insertInbox([{ provider: 'meta', messageId: 'wamid.1', conversationKey: KEY, kind: 'text', customer: '5511900000501', text: 'meu cartão foi clonado', sentAt: now }], now);
  await store.updateConversation(KEY, { handoffStatus: 'waiting_human', protocolNumber: '20261207000001', urgency: 'high', reason: 'security_concern' }, now);
});

async function toCustomer(): Promise<string[]> {
  return (await storage.listOutbox({ limit: 100 })).filter((row) => row.topic === 'customer_message').map((row) => (row.payload as { text: string }).text);
}

describe('claims between agents', () => {
  it('the first agent gets it and the customer hears their name; the second gets 409 naming the holder', async () => {
    await actions.claim(KEY, ana);
    expect(await toCustomer()).toEqual(['Olá! Aqui é Ana Souza, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.']);
    await expect(actions.claim(KEY, bia)).rejects.toMatchObject({ code: 'CONVERSATION_CLAIMED', heldBy: { id: 'u-ana', name: 'Ana Souza' } });
    await expect(actions.reply(KEY, bia, 'eu respondo')).rejects.toMatchObject({ code: 'CONVERSATION_CLAIMED' });
    await expect(actions.release(KEY, bia)).rejects.toMatchObject({ code: 'CONVERSATION_CLAIMED' });
    await expect(actions.claim(KEY, bia, { reassign: true })).rejects.toMatchObject({ code: 'FORBIDDEN_ACTION' });
    expect((await store.getConversation(KEY))?.assignedAgent).toBe('u-ana');
    // Claiming again as the holder tells the customer nothing new.
    await actions.claim(KEY, ana);
    expect(await toCustomer()).toHaveLength(1);
  });

  it('an admin reassigns explicitly: the new agent is announced and the audit says from whom', async () => {
    await actions.claim(KEY, ana);
    now += 60_000;
    await actions.claim(KEY, carla, { reassign: true });
    expect((await store.getConversation(KEY))).toMatchObject({ assignedAgent: 'u-carla', assignedAgentName: 'Carla Admin' });
    expect((await toCustomer()).at(-1)).toContain('Carla Admin');
    const audit = await store.cases.listAudit({ conversationKey: KEY });
    expect(audit.entries.map((e) => [e.actorLabel, e.action, e.detail?.reassignedFrom ?? null])).toEqual([['carla', 'claim', 'Ana Souza'], ['ana', 'claim', null]]);
    expect(audit.entries[0]!.at).toBe(now);
  });

  it('a reply from an agent nobody blocks claims first, then goes out through the outbox and into the thread', async () => {
    await actions.reply(KEY, bia, 'Bloqueei seu cartão.');
    expect(await toCustomer()).toEqual(['Olá! Aqui é Bia Lima, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.', 'Bloqueei seu cartão.']);
    const thread = await store.recentMessages(KEY, 10);
    expect(thread.find((m) => m.kind === 'agent_message')).toMatchObject({ text: 'Bloqueei seu cartão.', name: 'Bia Lima', status: 'done' });
    expect((await store.cases.listAudit({ conversationKey: KEY })).entries.map((e) => e.action)).toEqual(['reply', 'claim']);
  });
});

describe('a forgotten claim', () => {
  it('goes back to the bot after the idle time and the customer is told once, even if the job runs again', async () => {
    await store.updateConversation(KEY, { handoffRef: '20261207000001' }, now);
    await actions.claim(KEY, ana);
    const job = idleReleaseJob({ lifecycle: new ConversationLifecycle(store, () => now), idleMinutes: 120, onReleased: (before) => actions.idleReleased(before) });
    now += 3 * HOUR;
    expect(await job.run({ now, signal: new AbortController().signal, logger: silentLogger, trigger: 'manual' })).toEqual({ released: 1 });
    const before = { ...(await store.getConversation(KEY))!, assignedAgent: 'u-ana', handoffRef: '20261207000001' };
    await actions.idleReleased(before); // a crashed job repeating itself
    const told = (await toCustomer()).filter((t) => t.includes('assistente automático'));
    expect(told).toHaveLength(1);
    expect((await store.getConversation(KEY))?.handoffStatus).toBe('bot');
    expect((await store.cases.listAudit({ conversationKey: KEY, action: 'release' })).entries.at(-1)).toMatchObject({ actorKind: 'system', detail: { reason: 'idle', heldBy: 'Ana Souza' } });
  });
});

describe('the bot closes idle cases', () => {
  it('a case answered by self-service closes after CASE_IDLE_CLOSE_HOURS of customer silence; the next message opens a new one', async () => {
    await store.updateConversation(KEY, { handoffStatus: 'bot' }, now);
    const first = await cases.customerWrote(await cases.current(KEY));
    await cases.selfServiceAnswered(first.id);
    const job = caseIdleCloseJob({ cases, idleHours: 24 });

    now += 23 * HOUR;
    expect(await job.run({ now, signal: new AbortController().signal, logger: silentLogger, trigger: 'manual' })).toEqual({ closed: 0 });
    now += 2 * HOUR;
    expect(await job.run({ now, signal: new AbortController().signal, logger: silentLogger, trigger: 'manual' })).toEqual({ closed: 1 });
    expect(await store.cases.getCase(first.id)).toMatchObject({ status: 'resolved', resolvedBy: 'bot', resolution: 'idle' });
    expect((await store.cases.listAudit({ action: 'resolve' })).entries[0]).toMatchObject({ actorKind: 'system', actorLabel: 'bot' });

    const second = await cases.current(KEY);
    expect(second.id).not.toBe(first.id);
    expect(second.previousProtocol).toBe(first.protocolNumber);
    expect(second.protocolNumber).not.toBe(first.protocolNumber);
  });

  it('never closes a case the customer wrote to after the answer, nor one waiting for a person', async () => {
    const open = await cases.current(KEY); // conversation is waiting_human
    await cases.selfServiceAnswered(open.id);
    now += 30 * HOUR;
    expect(await cases.closeIdle(24 * HOUR)).toEqual([]);
    await store.updateConversation(KEY, { handoffStatus: 'bot' }, now);
    now += 1000;
    await cases.customerWrote(open);
    now += 30 * HOUR;
    expect(await cases.closeIdle(24 * HOUR)).toEqual([]);
    expect((await store.cases.getCase(open.id))?.status).toBe('open');
  });

  it('refuses a non-positive idle time, naming the setting', () => {
    expect(() => caseIdleCloseJob({ cases, idleHours: 0 })).toThrow(/CASE_IDLE_CLOSE_HOURS/);
  });
});
