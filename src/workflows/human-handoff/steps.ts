/**
 * The steps of human-handoff. The protocol number is generated BEFORE the alert (the guide generated it in
 * parallel, so its alert could not cite it), and the alert and the customer's message are written to the
 * outbox in the same commit as their step: a crash or a rerun never sends them twice, and a provider outage
 * delays them instead of losing them.
 */
import { analyzeEscalation, type EscalationAnalysis } from '../../agents/classification.js';
import { stepRef, type StepExecutor } from '../../engine/index.js';
import { maskPhone } from '../../privacy.js';
import type { WorkflowDeps } from '../deps.js';
import type { AgentAlert, Urgency } from '../../service/ports.js';
import { effects, outboxKeys, stageEffects } from '../../service/outbox.js';
import type { EscalationRecord, HandoffRecord } from '../session-state.js';
import { runState, type ForcedReason, type HandoffDecision, type HandoffInput, type HandoffRunState, type HandoffState } from './state.js';
import { pathLabel } from '../conversation-typification/report.js';
import { consoleConversationLink } from '../shared/links.js';
import { protocolOf } from '../shared/protocol-step.js';
import { conversationOf, customerTexts, turnContext } from '../shared/turn.js';
import { collectCustomerInfo } from './customer-info.js';
import { formatAgentAlert, formatCustomerHandoffMessage } from './messages.js';

export type { CustomerInfo, ForcedReason, HandoffDecision, IssueDetails } from './state.js';

type State = HandoffState;

/** Typification could not decide: its model failed, or this is the second vague message in a row. */
function forcedReason(state: State, runId: string): ForcedReason | undefined {
  if (state.typificationRun?.runId === runId && state.typificationRun.failure) {
    return state.typificationRun.failure === 'model_failure' ? 'model_failure' : 'invalid_classification';
  }
  if ((state.lowConfidenceStreak ?? 0) >= 2) return 'low_confidence';
  return undefined;
}

export function escalationAnalysisStep(deps: WorkflowDeps): StepExecutor<State> {
  return async (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    const analysis: EscalationAnalysis = await analyzeEscalation(deps.models.escalation, conversationOf(input), {
      signal: input.signal,
      modelId: deps.config.handoff.models.escalation,
    });
    const forced = analysis.shouldEscalate ? undefined : forcedReason(state, input.rootRunId);
    run.decision = {
      escalate: analysis.shouldEscalate || forced !== undefined,
      reason: analysis.reason ?? forced ?? null,
      urgency: forced && analysis.urgency === 'low' ? 'medium' : analysis.urgency,
      emotion: analysis.emotion,
      summary: analysis.summary,
      ...(forced ? { forced } : {}),
    };
    const record: EscalationRecord = {
      shouldEscalate: analysis.shouldEscalate,
      reason: analysis.reason,
      urgency: analysis.urgency,
      emotion: analysis.emotion,
      summary: analysis.summary,
      runId: input.runId,
      at: (deps.now ?? Date.now)(),
    };
    state.escalation = record;
    // Only the latest analysis is kept (nothing read the earlier ones, and every step serializes the whole state);
    // a state written before keeps its list until this turn drops it.
    delete state.escalationHistory;
    return run.decision;
  };
}

/**
 * The Condition: escalate when the analysis says so. When the analysis itself failed after its retries
 * (skipped step, no decision), a person must look: a model answering nonsense is never the last word.
 */
export function shouldHandOff(input: HandoffInput): boolean {
  return decisionOf(runState(input)).escalate;
}

const ANALYSIS_FAILED: HandoffDecision = {
  escalate: true,
  reason: 'model_failure',
  urgency: 'medium',
  emotion: 'neutral',
  summary: 'A análise automática falhou; revisar a conversa.',
  forced: 'model_failure',
};

/** The run's decision; the fallback when the analysis step failed after its retries (pure: the Condition's evaluator uses it). */
function decisionOf(run: HandoffRunState): HandoffDecision {
  return run.decision ?? ANALYSIS_FAILED;
}

export function customerInfoStep(): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const context = turnContext(input);
    run.customer = collectCustomerInfo(customerTexts(conversationOf(input)), {
      ...(context.customerName ? { name: context.customerName } : {}),
      ...(context.customerPhone ? { phone: context.customerPhone } : {}),
    });
    return run.customer;
  };
}

export function issueDetailsStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    const decision = decisionOf(run);
    const typification = state.typification;
    const typificationPath = typification ? pathLabel(deps.taxonomy, Object.values(typification.path)) : null;
    const texts = customerTexts(conversationOf(input));
    run.issue = {
      title: `${typificationPath ?? 'Assunto não identificado'} — ${decision.reason ?? 'atendimento'}`,
      description: [decision.summary, ...texts.slice(-3).map((t) => `Cliente: ${t.slice(0, 300)}`)].join('\n'),
      typificationPath,
      earlierContacts: earlierContacts(input, state),
    };
    return run.issue;
  };
}

/** Turns before this one: typification counts each turn, so this turn is excluded when it already ran. */
function earlierContacts(input: HandoffInput, state: State): number {
  const typifiedThisTurn = state.typificationRun?.runId === input.rootRunId || turnContext(input).protocolNumber !== undefined;
  return Math.max(0, (state.contacts ?? 0) - (typifiedThisTurn ? 1 : 0));
}

/** The handoff's id within its case (from the service), else the protocol: the keys of its outside effects. */
function handoffRefOf(input: HandoffInput): string {
  return turnContext(input).handoffRef ?? protocolOf(input);
}

function alertFor(deps: WorkflowDeps, input: HandoffInput, run: HandoffRunState): AgentAlert {
  const protocolNumber = protocolOf(input);
  const decision = decisionOf(run);
  const conversationKey = turnContext(input).conversationKey ?? input.sessionId;
  const customer = run.customer;
  const who = [customer?.name, customer?.phone ?? (customer ? undefined : maskPhone(conversationKey))].filter(Boolean).join(' · ') || 'cliente';
  const extras = [...(customer?.documents ?? []), ...(customer?.accountHints ?? [])];
  return {
    protocolNumber,
    conversationKey,
    urgency: decision.urgency,
    reason: decision.reason ?? 'atendimento',
    text: formatAgentAlert(deps.config.handoff, {
      protocol: protocolNumber,
      urgency: decision.urgency,
      reason: decision.reason ?? 'atendimento',
      summary: decision.summary,
      customer: extras.length ? `${who} (${extras.join(', ')})` : who,
      path: run.issue?.typificationPath ?? 'não identificado',
      contacts: run.issue?.earlierContacts ?? 0,
      link: consoleConversationLink(deps.publicUrl, conversationKey),
    }),
    link: consoleConversationLink(deps.publicUrl, conversationKey),
    realert: 0,
  };
}

/** `whatsapp_notification`: the agents' alert, written to the outbox with this step's commit. */
export function whatsappNotificationStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const alert = alertFor(deps, input, runState(input));
    // Keyed on the handoff (the protocol for a case's first): a rerun of this run reuses it, so the agents
    // are not alerted twice; a case handed over again is a new handoff and alerts again.
    const [key] = stageEffects(input.outbox, [effects.toAgents(outboxKeys.alert(handoffRefOf(input)), alert)]);
    return { queued: true, outboxKey: key, protocolNumber: alert.protocolNumber, urgency: alert.urgency };
  };
}

/** `ticket_record`: the handoff as the conversation's record (admins, later turns, SLA jobs read it). */
export function ticketRecordStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    const handoff: HandoffRecord = {
      status: 'waiting_human',
      protocolNumber: protocolOf(input),
      reason: decisionOf(run).reason ?? 'atendimento',
      urgency: decisionOf(run).urgency,
      runId: input.runId,
      createdAt: (deps.now ?? Date.now)(),
    };
    state.handoff = handoff;
    return { ticket: handoff, issue: run.issue, customer: run.customer };
  };
}

export interface HandoffOutcome {
  escalated: boolean;
  reason: string | null;
  urgency: Urgency;
  emotion: string;
  summary: string;
  forced?: ForcedReason;
  protocolNumber?: string;
  /** The handoff's id within its case (keys of its alert, acknowledgement and re-alerts). */
  handoffRef?: string;
  customerMessage?: string;
}

/** `handoff_completion`: tells the customer the protocol number and the expected wait. */
export function handoffCompletionStep(deps: WorkflowDeps): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const decision = decisionOf(run);
    const text = formatCustomerHandoffMessage(deps.config.handoff, protocolOf(input), decision.urgency, deps.slaMinutes);
    const handoffRef = handoffRefOf(input);
    stageEffects(input.outbox, [effects.toCustomer(outboxKeys.handoffAck(handoffRef), turnContext(input).conversationKey ?? input.sessionId, text)]);
    const outcome: HandoffOutcome = { ...outcomeOf(decision), protocolNumber: protocolOf(input), handoffRef, customerMessage: text };
    return outcome;
  };
}

function outcomeOf(decision: HandoffDecision): HandoffOutcome {
  return {
    escalated: decision.escalate,
    reason: decision.reason,
    urgency: decision.urgency,
    emotion: decision.emotion,
    summary: decision.summary,
    ...(decision.forced ? { forced: decision.forced } : {}),
  };
}

const HANDOFF_COMPLETION = stepRef<HandoffOutcome>('handoff_completion');

/** The run's content in both cases (escalated or not), and the per-run scratch cleared. */
export function handoffOutcomeStep(): StepExecutor<State> {
  return (input) => {
    const run = runState(input);
    const state = input.workflowSessionState;
    const completion = input.getStepContent(HANDOFF_COMPLETION);
    delete state.handoffRun;
    return completion ?? outcomeOf(decisionOf(run));
  };
}
