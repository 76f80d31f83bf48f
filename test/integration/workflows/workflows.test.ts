/**
 * Both product workflows end to end on the embedded model and SQLite: what a customer and an agent would
 * see (paths, protocol numbers, alerts, replies, state across messages), not internals.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelOutputError } from '../../../src/agents/errors.js';
import { SqliteStorage, type RunResult } from '../../../src/engine/index.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import type { TypificationOutcome } from '../../../src/workflows/conversation-typification/steps.js';
import type { HandoffOutcome } from '../../../src/workflows/human-handoff/steps.js';
import { createWorkflows, getWorkflow, UnknownWorkflowError } from '../../../src/workflows/registry.js';
import type { ConversationSessionState } from '../../../src/workflows/session-state.js';
import { PROTOCOL_PATTERN } from '../../../src/workflows/shared/protocol.js';
import { embeddedModel, ScriptedModel, withLevelConfidence, workflowDeps } from '../../helpers/workflow-deps.js';

const taxonomy = defaultTaxonomy();
let dir: string;
let storage: SqliteStorage;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zapflow-workflows-'));
  storage = new SqliteStorage({ dbFile: join(dir, 'zapflow.db') });
  await storage.init();
});
afterAll(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

const turn = (...texts: string[]) => ({ messages: texts.map((text) => ({ role: 'customer' as const, text })) });
const typification = (result: RunResult) => result.content as TypificationOutcome;
const handoffOf = (result: RunResult) => result.content as HandoffOutcome;
const state = (result: RunResult) => result.sessionState as ConversationSessionState;
const stepNames = (result: RunResult, type: string) => result.events.filter((e) => e.type === type).map((e) => e.stepPath);

describe('conversation-typification', () => {
  it('files a clear question under a valid 4-level path, with a protocol number and a pt-BR report', async () => {
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage));
    const result = await wf.run({ message: turn('minha maquininha não liga de jeito nenhum, já carreguei a bateria'), sessionId: 'test:clear' });
    expect(result.status).toBe('completed');
    const outcome = typification(result);
    expect(outcome.path).not.toBeNull();
    expect(taxonomy.isValidPath(Object.values(outcome.path!))).toBe(true);
    expect(outcome.path!.businessUnit).toBe('merchant_acquiring');
    expect(outcome.protocolNumber).toMatch(PROTOCOL_PATTERN);
    expect(outcome.report).toContain('Tipificação: Maquininhas e vendas');
    expect(outcome.report).toContain('Últimas mensagens do cliente:');
    expect(state(result).typification?.path).toEqual(outcome.path);
  });

  it('emits events with the guide step names, in order', async () => {
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage, { classifier: withLevelConfidence(embeddedModel(), 0.99) }));
    const result = await wf.run({ message: turn('quero saber quanto rende o CDB'), sessionId: 'test:events' });
    expect(stepNames(result, 'StepCompleted')).toEqual([
      'business_unit_classification', 'product_classification', 'motive_classification', 'submotive_classification',
      'confidence_routing/high/path_accepted', 'validation',
      expect.stringMatching(/^final_processing\/(protocol_generation|report_generation)$/),
      expect.stringMatching(/^final_processing\/(protocol_generation|report_generation)$/),
      'typification_result',
    ]);
    expect(result.events.map((e) => e.type)).toEqual(expect.arrayContaining(['WorkflowStarted', 'RouterExecutionStarted', 'ParallelExecutionStarted', 'WorkflowCompleted']));
  });

  it.each([
    ['high', 0.99, 'path_accepted'],
    ['medium', 0.9, 'path_validation'],
    ['low', 0.5, 'low_confidence_handoff'],
  ] as const)('routes %s confidence to %s', async (route, confidence, step) => {
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage, { classifier: withLevelConfidence(embeddedModel(), confidence) }));
    const result = await wf.run({ message: turn('paguei um boleto e não compensou ainda'), sessionId: `test:route-${route}` });
    expect(result.status).toBe('completed');
    expect(typification(result).route).toBe(route);
    expect(stepNames(result, 'StepCompleted')).toContain(`confidence_routing/${route}/${step}`);
  });

  it('low confidence twice in a row hands the conversation to a human through the nested handoff', async () => {
    const deps = workflowDeps(storage, { classifier: withLevelConfidence(embeddedModel(), 0.3) });
    const { 'conversation-typification': wf } = createWorkflows(deps);
    const first = await wf.run({ message: turn('queria ver uma coisa do saldo'), sessionId: 'test:vague' });
    expect((typification(first).handoff as HandoffOutcome).escalated).toBe(false);
    const second = await wf.run({ message: turn('é sobre aquilo lá'), sessionId: 'test:vague' });
    const handoff = typification(second).handoff as HandoffOutcome;
    expect(handoff).toMatchObject({ escalated: true, reason: 'low_confidence', forced: 'low_confidence' });
    // One protocol for the turn: the nested handoff and final_processing share it.
    expect(handoff.protocolNumber).toBe(typification(second).protocolNumber);
    const alerts = await storage.listOutbox({ runId: second.runId });
    expect(alerts.map((a) => a.topic).sort()).toEqual(['agent_alert', 'customer_message']);
  });

  it('greetings and turns that name no issue (a product alone, "não funciona") do not count toward the low-confidence handoff, and record no path', async () => {
    const deps = workflowDeps(storage, { classifier: withLevelConfidence(embeddedModel(), 0.3) });
    const { 'conversation-typification': wf } = createWorkflows(deps);
    for (const text of ['oi', 'bom dia', '?', 'queria ver uma coisa da conta', 'nao ta funcionando']) {
      const result = await wf.run({ message: turn(text), sessionId: 'test:greetings' });
      expect((typification(result).handoff as HandoffOutcome).escalated).toBe(false);
      expect(typification(result).path).toBeNull();
    }
  });

  it('a model that keeps inventing paths is retried, then the conversation goes to a human', async () => {
    const inventing = new ScriptedModel(embeddedModel(), (request, answer) =>
      request.task.kind === 'classify' && request.task.level === 'product' ? { ...(answer as object), id: 'credit_card_gold_platinum' } : answer,
    );
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage, { classifier: inventing }));
    const result = await wf.run({ message: turn('quero aumentar o limite do cartão'), sessionId: 'test:inventing' });
    expect(result.status).toBe('completed');
    const outcome = typification(result);
    expect(outcome.path).toBeNull();
    expect(outcome.failure).toBeDefined();
    expect((outcome.handoff as HandoffOutcome).escalated).toBe(true);
    // Retried (4 attempts at the product level), and the invented id was never stored.
    expect(inventing.calls.filter((c) => c.task.kind === 'classify' && c.task.level === 'product').length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(result.sessionState)).not.toContain('credit_card_gold_platinum');
  });

  it('carries the conversation state across three messages', async () => {
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage));
    const key = 'test:three-messages';
    const first = await wf.run({ message: turn('como faço pra cadastrar uma chave pix?'), sessionId: key });
    const second = await wf.run({ message: turn('e quanto tempo demora a portabilidade da chave?'), sessionId: key });
    const third = await wf.run({ message: turn('minha fatura do cartão veio com valor errado'), sessionId: key });
    expect([first, second].every((run) => typification(run).path?.product === 'pix')).toBe(true);
    const s = state(third);
    expect(s.protocolNumbers).toHaveLength(3);
    expect(s.typification?.path.businessUnit).toBe('cards');
    // What every step of a turn serializes does not grow with the conversation: the earlier typifications are
    // on the conversation's cases, not in its state.
    expect(s).not.toHaveProperty('typificationHistory');
    // (two more turns add their protocol numbers, less than one typification record)
    expect(JSON.stringify(s).length - JSON.stringify(state(first)).length).toBeLessThan(JSON.stringify(s.typification).length);
  });

  it('gives every run a distinct protocol number, also under 200 concurrent runs', async () => {
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => wf.run({ message: turn('qual a taxa do débito na maquininha?'), sessionId: `test:concurrent-${i}` })),
    );
    const protocols = results.map((r) => typification(r).protocolNumber);
    expect(protocols.every((p) => PROTOCOL_PATTERN.test(p))).toBe(true);
    expect(new Set(protocols).size).toBe(200);
  });
});

describe('human-handoff', () => {
  it('does nothing more when no escalation is needed (Condition false)', async () => {
    const { 'human-handoff': wf } = createWorkflows(workflowDeps(storage));
    const result = await wf.run({ message: turn('como vejo o extrato da minha conta?'), sessionId: 'test:calm' });
    expect(handoffOf(result)).toMatchObject({ escalated: false, reason: null });
    expect(stepNames(result, 'StepCompleted')).toEqual(['escalation_analysis', 'handoff_outcome']);
    expect(await storage.listOutbox({ runId: result.runId })).toEqual([]);
  });

  it('escalates fraud: protocol first, then the alert that cites it, and the customer is told the protocol and wait', async () => {
    const { 'human-handoff': wf } = createWorkflows(workflowDeps(storage));
    const result = await wf.run({
      message: turn('apareceram 3 compras no meu cartão que eu não fiz!!! alguém clonou meu cartão, meu cpf é 123.456.789-09'),
      sessionId: 'meta:100000000000002:5511900000001',
      additionalData: { customerName: 'Maria Teste', customerPhone: '5511900000001' },
    });
    const outcome = handoffOf(result);
    expect(outcome).toMatchObject({ escalated: true, reason: 'security_concern' });
    expect(outcome.protocolNumber).toMatch(PROTOCOL_PATTERN);
    expect(stepNames(result, 'StepCompleted')).toEqual([
      'escalation_analysis', 'escalation_check/customer_info_collection', 'escalation_check/issue_details_creation',
      'escalation_check/protocol_generation',
      expect.stringMatching(/^escalation_check\/parallel_processing\/(whatsapp_notification|ticket_record)$/),
      expect.stringMatching(/^escalation_check\/parallel_processing\/(whatsapp_notification|ticket_record)$/),
      'escalation_check/handoff_completion', 'handoff_outcome',
    ]);
    const rows = await storage.listOutbox({ runId: result.runId });
    const alert = rows.find((r) => r.topic === 'agent_alert')!.payload as { text: string; urgency: string };
    expect(alert.text).toContain(`Protocolo: ${outcome.protocolNumber}`);
    expect(alert.text).toContain('Maria Teste');
    expect(alert.text).not.toContain('123.456.789'); // documents are masked in the alert
    const reply = rows.find((r) => r.topic === 'customer_message')!.payload as { text: string };
    expect(reply.text).toContain(outcome.protocolNumber!);
    expect(state(result).handoff).toMatchObject({ status: 'waiting_human', protocolNumber: outcome.protocolNumber });
  });

  it('a failing escalation model hands the conversation to a human instead of failing the turn', async () => {
    const broken = new ScriptedModel(embeddedModel(), (request, answer) => {
      if (request.task.kind === 'escalation') throw new ModelOutputError('escalation', 'nonsense answer', 2);
      return answer;
    });
    const { 'human-handoff': wf } = createWorkflows(workflowDeps(storage, { escalation: broken }));
    const result = await wf.run({ message: turn('preciso de ajuda'), sessionId: 'test:broken-escalation' });
    expect(result.status).toBe('completed');
    expect(handoffOf(result)).toMatchObject({ escalated: true, reason: 'model_failure' });
  });
});

describe('registry', () => {
  it('builds workflows by id and names the known ids for an unknown one', () => {
    expect(getWorkflow('human-handoff', workflowDeps(storage)).name).toBe('human-handoff');
    expect(() => getWorkflow('typification', workflowDeps(storage))).toThrow(UnknownWorkflowError);
    expect(() => getWorkflow('typification', workflowDeps(storage))).toThrow(/Known workflows: conversation-typification, human-handoff/);
  });
});
