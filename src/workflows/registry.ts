/**
 * The workflow registry (the guide's WORKFLOW_REGISTRY): ids → factories taking their dependencies.
 * `createWorkflows(deps)` builds both (typification nests the handoff for low confidence).
 */
import type { Workflow } from '../engine/index.js';
import { createConversationTypificationWorkflow, CONVERSATION_TYPIFICATION } from './conversation-typification/workflow.js';
import type { WorkflowDeps } from './deps.js';
import { createHumanHandoffWorkflow, HUMAN_HANDOFF } from './human-handoff/workflow.js';
import { UnknownWorkflowError } from './errors.js';
export { UnknownWorkflowError };

export const WORKFLOW_IDS = [CONVERSATION_TYPIFICATION, HUMAN_HANDOFF] as const;
export type WorkflowId = (typeof WORKFLOW_IDS)[number];

export type WorkflowSet = Record<WorkflowId, Workflow>;

export const WORKFLOW_REGISTRY: { [K in WorkflowId]: (deps: WorkflowDeps) => Workflow } = {
  [CONVERSATION_TYPIFICATION]: (deps) => createConversationTypificationWorkflow(deps, createHumanHandoffWorkflow(deps)),
  [HUMAN_HANDOFF]: createHumanHandoffWorkflow,
};

/** One workflow by id; an unknown id is an error listing the known ones. */
export function getWorkflow(workflowId: string, deps: WorkflowDeps): Workflow {
  if (!isWorkflowId(workflowId)) throw new UnknownWorkflowError(workflowId, WORKFLOW_IDS);
  return WORKFLOW_REGISTRY[workflowId](deps);
}

export function isWorkflowId(value: string): value is WorkflowId {
  return (WORKFLOW_IDS as readonly string[]).includes(value);
}

/** Both workflows, sharing one handoff instance (nested in typification and run on its own). */
export function createWorkflows(deps: WorkflowDeps): WorkflowSet {
  const handoff = createHumanHandoffWorkflow(deps);
  return {
    [CONVERSATION_TYPIFICATION]: createConversationTypificationWorkflow(deps, handoff),
    [HUMAN_HANDOFF]: handoff,
  };
}

export { createConversationTypificationWorkflow, createHumanHandoffWorkflow, CONVERSATION_TYPIFICATION, HUMAN_HANDOFF };
