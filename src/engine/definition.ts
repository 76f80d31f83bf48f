/**
 * The base of every step kind, and the checks every definition goes through at construction (a bad definition
 * must fail when the app starts, naming the step, never in the middle of a customer's conversation).
 */
import { InvalidDefinitionError } from './errors.js';
import type { Scope } from './runner/scope.js';
import type { StepOutput } from './step-output.js';
import type { WorkflowHistoryOption } from './types.js';

export type StepKind = 'step' | 'steps' | 'parallel' | 'condition' | 'loop' | 'router';

export abstract class StepNode {
  abstract readonly kind: StepKind;
  readonly name: string;

  constructor(name: unknown, what: string) {
    this.name = assertStepName(name, what);
  }

  /**
   * Runs the step at `path` (its stable, `/`-separated address in the run). Returns null when nothing ran
   * (a Condition whose evaluator said no): the previous step's content then flows on unchanged.
   */
  abstract execute(scope: Scope, path: string): Promise<StepOutput | null>;

  /** Direct children, for walks over the definition (history needs, step names). */
  abstract children(): readonly StepNode[];

  /** How many earlier runs this step wants in `input.workflowHistory` (0 = none). */
  historyRuns(): number {
    return 0;
  }
}

/** A workflow's definition as another workflow nests it (branded so steps.ts need not import workflow.ts). */
export const WORKFLOW_DEFINITION: unique symbol = Symbol('zapflow.workflow-definition');
export interface NestedWorkflowDefinition {
  readonly name: string;
  readonly steps: readonly StepNode[];
  readonly historyRuns: number;
}
export interface WorkflowLike {
  readonly name: string;
  readonly [WORKFLOW_DEFINITION]: NestedWorkflowDefinition;
}

export function isWorkflowLike(value: unknown): value is WorkflowLike {
  return typeof value === 'object' && value !== null && WORKFLOW_DEFINITION in value;
}

/** Names become path segments, so they must be non-empty and free of the path syntax (`/`, a leading `#`). */
export function assertStepName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InvalidDefinitionError(undefined, `${what} needs a non-empty string \`name\` (got ${JSON.stringify(name) ?? String(name)}).`);
  }
  if (name.includes('/') || name.startsWith('#')) {
    throw new InvalidDefinitionError(name, `names may not contain "/" or start with "#" (they are used in step paths like "parent/child" and "loop/#2/child").`);
  }
  return name;
}

/** Two steps with one name in one scope would share a path, and a resumed run could reuse the wrong result. */
export function assertUniqueNames(nodes: readonly StepNode[], scopeName: string): void {
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node.name)) {
      throw new InvalidDefinitionError(node.name, `the name is used twice in ${scopeName}; names must be unique within one list of steps (they form the step paths used to resume runs).`);
    }
    seen.add(node.name);
  }
}

export function historyRunsOf(option: WorkflowHistoryOption | undefined, stepName: string | undefined): number {
  if (option === undefined || option === false) return 0;
  if (option === true) return 3;
  if (typeof option === 'object' && option !== null && Number.isInteger(option.lastRuns) && option.lastRuns >= 1) return option.lastRuns;
  throw new InvalidDefinitionError(stepName, `addWorkflowHistory must be true, false or { lastRuns: n } with n ≥ 1 (got ${JSON.stringify(option)}).`);
}

/** The largest history any step of the definition asks for (so a run loads it once, only if needed). */
export function maxHistoryRuns(nodes: readonly StepNode[]): number {
  let max = 0;
  for (const node of nodes) max = Math.max(max, node.historyRuns(), maxHistoryRuns(node.children()));
  return max;
}
