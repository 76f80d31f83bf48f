/**
 * conversation-typification: files the conversation under business unit → product → motive → submotive
 * (each level constrained to the children of the one before), routes on confidence (high: accept; medium: a
 * validation agent re-checks; low: the handoff workflow, nested), validates the full path, then issues the
 * protocol number and writes the agents' report in parallel. Step names follow the Agno guide.
 */
import { Condition, Parallel, Router, Step, Workflow } from '../../engine/index.js';
import type { WorkflowDeps } from '../deps.js';
import type { HandoffState } from '../human-handoff/state.js';
import {
  acceptPathStep, classificationStep, confidenceRoute, lowConfidenceStep, needsHumanAfterValidation, pathValidationStep,
  reportStep, typificationResultStep, validationStep,
} from './steps.js';
import { typificationStateSchema, type TypificationState } from './state.js';
import { protocolGenerationStep } from '../shared/protocol-step.js';

export const CONVERSATION_TYPIFICATION = 'conversation-typification';

export function createConversationTypificationWorkflow(deps: WorkflowDeps, handoff: Workflow<HandoffState>): Workflow<TypificationState> {
  const { retries } = deps.config.typification;
  // A level whose model keeps failing is skipped after its retries; the Router then sends the
  // conversation to a human instead of failing the customer's turn.
  const level = (name: string, levelId: Parameters<typeof classificationStep>[1]) =>
    new Step({ name, executor: classificationStep(deps, levelId), maxRetries: retries.classification, skipOnFailure: true });
  return new Workflow({
    name: CONVERSATION_TYPIFICATION,
    description: 'Classifies a conversation along the 4-level taxonomy, validates the path, issues a protocol number and a report.',
    storage: deps.storage,
    sessionStateSchema: typificationStateSchema,
    // Admins read them in GET /admin/runs/:id; they ride along with each step's commit (no extra write).
    storeEvents: true,
    steps: [
      level('business_unit_classification', 'businessUnit'),
      level('product_classification', 'product'),
      level('motive_classification', 'motive'),
      level('submotive_classification', 'submotive'),
      new Router({
        name: 'confidence_routing',
        evaluator: confidenceRoute(deps),
        routes: {
          high: new Step({ name: 'path_accepted', executor: acceptPathStep() }),
          medium: new Step({ name: 'path_validation', executor: pathValidationStep(deps), maxRetries: retries.validation, skipOnFailure: true }),
          low: [new Step({ name: 'low_confidence', executor: lowConfidenceStep() }), new Step({ name: 'low_confidence_handoff', workflow: handoff })],
        },
      }),
      new Step({ name: 'validation', executor: validationStep(deps) }),
      new Condition({
        name: 'invalid_path_check',
        evaluator: needsHumanAfterValidation,
        steps: [new Step({ name: 'invalid_path_handoff', workflow: handoff })],
      }),
      new Parallel(
        new Step({ name: 'protocol_generation', executor: protocolGenerationStep(deps), maxRetries: 3 }),
        new Step({ name: 'report_generation', executor: reportStep(deps) }),
        { name: 'final_processing' },
      ),
      new Step({ name: 'typification_result', executor: typificationResultStep(deps) }),
    ],
  });
}
