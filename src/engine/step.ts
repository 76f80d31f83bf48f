/**
 * `Step`: one unit of work — a function (the guide's `function=`, here `executor`), an agent, a team, or a
 * whole workflow nested as a step (it shares the run and the session; its steps' paths are prefixed by this
 * step's name). Retries, backoff, timeout and skipOnFailure are validated here, at construction.
 *
 * Durability contract: a completed step never runs again (resume reuses its recorded output), but the step
 * that was in flight when a process died runs once more. A step with outside effects must therefore be
 * idempotent, or stage the effect with `input.outbox.enqueue(...)`: it is written in the same commit as the
 * step's result, and the app's outbox delivers it exactly once.
 */
import type { NestedWorkflowDefinition, WorkflowLike } from './definition.js';
import { StepNode, WORKFLOW_DEFINITION, historyRunsOf } from './definition.js';
import { InvalidDefinitionError } from './errors.js';
import { executeLeaf } from './runner/leaf.js';
import type { ResolvedBackoff } from './runner/retry.js';
import { resolveBackoff } from './runner/retry.js';
import type { Scope } from './runner/scope.js';
import { compositeOutput, runSequence } from './runner/sequence.js';
import type { RunStepInput } from './runner/step-input.js';
import { StepOutput } from './step-output.js';
import type { RetryBackoff, StepAgent, StepExecutor, StepInput, StepTeam, WorkflowHistoryOption } from './types.js';

export interface StepOptions {
  name: string;
  description?: string;
  /** A function step (the guide's `function=`). Exactly one of executor, agent, team, workflow. */
  executor?: StepExecutor;
  agent?: StepAgent;
  team?: StepTeam;
  /** A workflow run as this step (shares the run and session state). */
  workflow?: WorkflowLike;
  /** Retries after the first attempt (so up to maxRetries + 1 attempts). @default 0 */
  maxRetries?: number;
  /** Backoff between attempts; a number is the initial delay in ms. @default { initialMs: 200, factor: 2, maxMs: 10000, jitter: 0.2 } */
  retryBackoff?: RetryBackoff | number;
  /** Each attempt's signal aborts after this many ms and the attempt fails with StepTimeoutError. @default none */
  timeoutMs?: number;
  /** After the last failed attempt the run goes on (the output has success: false) instead of ending in error. @default false */
  skipOnFailure?: boolean;
  /** This step sees earlier runs of the session in `input.workflowHistory`. @default false */
  addWorkflowHistory?: WorkflowHistoryOption;
}

export type StepType = 'function' | 'agent' | 'team' | 'workflow';

export class Step extends StepNode {
  readonly kind = 'step';
  readonly stepType: StepType;
  readonly description: string | undefined;
  readonly maxRetries: number;
  readonly backoff: ResolvedBackoff;
  readonly timeoutMs: number | undefined;
  readonly skipOnFailure: boolean;
  /** Calls the executor / agent / team with the step's input. */
  readonly invoke: (input: RunStepInput) => unknown;
  readonly startedEventData: { stepType: string };
  private readonly nested: NestedWorkflowDefinition | undefined;
  private readonly historyWanted: number;

  constructor(options: StepOptions) {
    if (typeof options !== 'object' || options === null) throw new InvalidDefinitionError(undefined, 'new Step(options) needs an options object with a name and an executor, agent, team or workflow.');
    super(options.name, 'new Step()');
    const kinds = (['executor', 'agent', 'team', 'workflow'] as const).filter((key) => options[key] !== undefined);
    if (kinds.length !== 1) {
      throw new InvalidDefinitionError(this.name, `give exactly one of executor, agent, team or workflow (got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}).`);
    }
    this.description = options.description;
    this.maxRetries = options.maxRetries ?? 0;
    if (!Number.isInteger(this.maxRetries) || this.maxRetries < 0) throw new InvalidDefinitionError(this.name, `maxRetries must be an integer ≥ 0 (got ${options.maxRetries}).`);
    this.timeoutMs = options.timeoutMs;
    if (this.timeoutMs !== undefined && (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0)) throw new InvalidDefinitionError(this.name, `timeoutMs must be a number > 0 (got ${options.timeoutMs}).`);
    this.skipOnFailure = options.skipOnFailure ?? false;
    this.backoff = resolveBackoff(options.retryBackoff, this.name);
    this.historyWanted = historyRunsOf(options.addWorkflowHistory, this.name);

    if (options.executor !== undefined) {
      if (typeof options.executor !== 'function') throw new InvalidDefinitionError(this.name, 'executor must be a function (input: StepInput) => output.');
      this.stepType = 'function';
      this.invoke = options.executor;
    } else if (options.workflow !== undefined) {
      if (typeof options.workflow !== 'object' || options.workflow === null || !(WORKFLOW_DEFINITION in options.workflow)) throw new InvalidDefinitionError(this.name, 'workflow must be a Workflow instance.');
      if (options.maxRetries !== undefined || options.timeoutMs !== undefined || options.skipOnFailure !== undefined) {
        // A nested workflow's steps commit one by one; retrying or skipping it as a whole would re-run or
        // discard steps that already committed. Put retries on the nested workflow's own steps.
        throw new InvalidDefinitionError(this.name, 'maxRetries, timeoutMs and skipOnFailure apply to the steps inside a nested workflow, not to the workflow step itself.');
      }
      this.stepType = 'workflow';
      this.nested = options.workflow[WORKFLOW_DEFINITION];
      this.invoke = () => undefined;
    } else {
      const agent = (options.agent ?? options.team) as StepAgent;
      if (typeof agent !== 'object' || agent === null || typeof agent.run !== 'function') throw new InvalidDefinitionError(this.name, `${options.agent ? 'agent' : 'team'} must have a run(input, options) method.`);
      this.stepType = options.agent !== undefined ? 'agent' : 'team';
      this.invoke = (input) => runAgent(agent, input);
    }
    this.startedEventData = Object.freeze({ stepType: this.stepType });
  }

  override historyRuns(): number {
    return this.historyWanted;
  }

  children(): readonly StepNode[] {
    return this.nested?.steps ?? [];
  }

  execute(scope: Scope, path: string): Promise<StepOutput> {
    return this.nested === undefined ? executeLeaf(this, scope, path) : this.executeNested(this.nested, scope, path);
  }

  private async executeNested(nested: NestedWorkflowDefinition, scope: Scope, path: string): Promise<StepOutput> {
    const run = scope.run;
    run.emit('StepStarted', path, this.name, { stepType: 'workflow' });
    const output = compositeOutput(this.name, 'workflow', await runSequence(nested.steps, scope, path));
    run.emit('StepCompleted', path, this.name, { content: output.content, attempts: 1, reused: false });
    scope.record(this.name, output);
    return output;
  }
}

/** The agent gets the previous step's content (or the message), as a string. */
async function runAgent(agent: StepAgent, input: StepInput): Promise<StepOutput> {
  const value = input.previousStepContent === undefined ? input.message : input.previousStepContent;
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  const response = await agent.run(text, { signal: input.signal, stepInput: input });
  return new StepOutput({ content: response.content, metrics: response.metrics });
}
