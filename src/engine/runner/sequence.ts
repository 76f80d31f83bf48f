/** Runs a list of steps in order under a path prefix; ends early when a step stopped the run. */
import type { StepNode } from '../definition.js';
import { StepOutput } from '../step-output.js';
import type { Scope } from './scope.js';

export async function runSequence(nodes: readonly StepNode[], scope: Scope, prefix: string): Promise<StepOutput[]> {
  const outputs: StepOutput[] = [];
  const run = scope.run;
  for (const node of nodes) {
    const output = await node.execute(scope, prefix === '' ? node.name : `${prefix}/${node.name}`);
    if (output !== null) outputs.push(output);
    if (run.stopOutput !== undefined) break;
  }
  return outputs;
}

/** The output of a composite: its last child's content, every child's output kept in `steps`. */
export function compositeOutput(name: string, stepType: string, children: StepOutput[]): StepOutput {
  const last = children[children.length - 1];
  return new StepOutput({ content: last?.content, stepName: name, stepType, steps: children });
}
