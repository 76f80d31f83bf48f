/**
 * human-handoff: decides whether a person must take over and, if so, collects what the agent needs,
 * issues the protocol number, alerts the agents (through the outbox and the WhatsApp MCP client) and tells
 * the customer the protocol and the expected wait. Step names follow the Agno guide.
 */
import { Condition, Parallel, Step, Workflow } from '../../engine/index.js';
import type { WorkflowDeps } from '../deps.js';
import {
  customerInfoStep, escalationAnalysisStep, handoffCompletionStep, handoffOutcomeStep, issueDetailsStep,
  shouldHandOff, ticketRecordStep, whatsappNotificationStep,
} from './steps.js';
import { handoffStateSchema, type HandoffState } from './state.js';
import { protocolGenerationStep } from '../shared/protocol-step.js';

export const HUMAN_HANDOFF = 'human-handoff';

export function createHumanHandoffWorkflow(deps: WorkflowDeps): Workflow<HandoffState> {
  const { retries } = deps.config.handoff;
  return new Workflow({
    name: HUMAN_HANDOFF,
    description: 'Decides when a person must take over, creates the issue, alerts the agents and gives the customer a protocol number.',
    storage: deps.storage,
    sessionStateSchema: handoffStateSchema,
    // Admins read them in GET /admin/runs/:id; they ride along with each step's commit (no extra write).
    storeEvents: true,
    steps: [
      // A model that keeps answering nonsense is skipped after its retries: the Condition then hands over.
      new Step({ name: 'escalation_analysis', executor: escalationAnalysisStep(deps), maxRetries: retries.analysis, skipOnFailure: true }),
      new Condition({
        name: 'escalation_check',
        evaluator: shouldHandOff,
        steps: [
          new Step({ name: 'customer_info_collection', executor: customerInfoStep(), maxRetries: retries.collection }),
          new Step({ name: 'issue_details_creation', executor: issueDetailsStep(deps), maxRetries: retries.collection }),
          // Before the alert, so the alert can cite it (the guide ran it in parallel with the notification).
          new Step({ name: 'protocol_generation', executor: protocolGenerationStep(deps), maxRetries: 3 }),
          new Parallel(
            new Step({ name: 'whatsapp_notification', executor: whatsappNotificationStep(deps), maxRetries: retries.notification }),
            new Step({ name: 'ticket_record', executor: ticketRecordStep(deps) }),
            { name: 'parallel_processing' },
          ),
          new Step({ name: 'handoff_completion', executor: handoffCompletionStep(deps), maxRetries: 1 }),
        ],
      }),
      new Step({ name: 'handoff_outcome', executor: handoffOutcomeStep() }),
    ],
  });
}
