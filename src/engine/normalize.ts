/**
 * What may be placed in a `steps` list (as in the guide): a Step or another primitive, a named function, an
 * agent or team, or a Workflow. Everything becomes a StepNode at construction.
 */
import type { WorkflowLike } from './definition.js';
import { StepNode, isWorkflowLike } from './definition.js';
import { InvalidDefinitionError } from './errors.js';
import { Step } from './step.js';
import type { StepAgent, StepExecutor } from './types.js';

export type StepLike = StepNode | StepExecutor | StepAgent | WorkflowLike;

export function toNode(item: unknown, where: string): StepNode {
  if (item instanceof StepNode) return item;
  if (typeof item === 'function') {
    if (item.name === '') {
      throw new InvalidDefinitionError(undefined, `an anonymous function in ${where} has no name to build its step path from; use a named function or new Step({ name, executor }).`);
    }
    return new Step({ name: item.name, executor: item as StepExecutor });
  }
  if (isWorkflowLike(item)) return new Step({ name: item.name, workflow: item });
  if (typeof item === 'object' && item !== null && typeof (item as StepAgent).run === 'function') {
    return new Step({ name: (item as StepAgent).name, agent: item as StepAgent });
  }
  throw new InvalidDefinitionError(undefined, `${where} contains ${describe(item)}, which is not a step: use a Step, Steps, Parallel, Condition, Loop, Router, a named function, an agent/team or a Workflow.`);
}

export function toNodes(items: unknown, where: string): StepNode[] {
  if (!Array.isArray(items)) throw new InvalidDefinitionError(undefined, `${where} needs an array of steps (got ${describe(items)}).`);
  return items.map((item) => toNode(item, where));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
