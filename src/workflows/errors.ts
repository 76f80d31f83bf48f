/**
 * The errors of the workflows (their input, their config files, their registry), each with a stable `code` (logs, the admin API's 4xx bodies, tests) and a message
 * that says what to do.
 */

export class InvalidTurnError extends Error {
  readonly code = 'INVALID_TURN';
  constructor(detail: string) {
    super(`The run's message must be a non-empty text or { messages: [{ role, text }] }: ${detail}`);
    this.name = 'InvalidTurnError';
  }
}

export class WorkflowConfigError extends Error {
  readonly code = 'WORKFLOW_CONFIG_INVALID';
  constructor(readonly file: string, readonly problems: string[]) {
    super(`Workflow config ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'WorkflowConfigError';
  }
}

export class UnknownWorkflowError extends Error {
  readonly code = 'UNKNOWN_WORKFLOW';
  constructor(readonly workflowId: string, readonly known: readonly string[]) {
    super(`Unknown workflow "${workflowId}". Known workflows: ${known.join(', ')}.`);
    this.name = 'UnknownWorkflowError';
  }
}
