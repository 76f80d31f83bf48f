/**
 * `protocol_generation`, one step for both workflows: the case's protocol when the service gives one (one per
 * case, whatever the number of turns and handoffs); otherwise (a run started by hand) one per run, idempotent
 * on the root run id, so a retried, resumed or rerun step gets the same number back.
 */
import { stepRef, type StepExecutor, type StepInput } from '../../engine/index.js';
import type { WorkflowDeps } from '../deps.js';
import type { ConversationSessionState } from '../session-state.js';
import { allocateProtocolNumber } from './protocol.js';
import { turnContext } from './turn.js';

export interface ProtocolContent {
  protocolNumber: string;
}

export const PROTOCOL_GENERATION = stepRef<ProtocolContent>('protocol_generation');

export function protocolGenerationStep(deps: WorkflowDeps): StepExecutor<ConversationSessionState> {
  return async (input) => {
    const protocolNumber = turnContext(input).protocolNumber ?? (await allocateProtocolNumber(deps.storage, input.rootRunId, new Date((deps.now ?? Date.now)())));
    const state = input.workflowSessionState;
    state.protocolNumbers = [...new Set([...(state.protocolNumbers ?? []), protocolNumber])];
    const content: ProtocolContent = { protocolNumber };
    return content;
  };
}

/** The protocol this run's `protocol_generation` gave: the steps after it cite it (alert, acknowledgement, ticket). */
export function protocolOf(input: StepInput<ConversationSessionState>): string {
  const content = input.getStepContent(PROTOCOL_GENERATION);
  if (!content) throw new Error(`Step "${input.stepName}" needs the protocol number, but "${PROTOCOL_GENERATION.stepName}" has not run in this run.`);
  return content.protocolNumber;
}
