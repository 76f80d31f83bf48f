/**
 * `Condition`: runs its steps only when the evaluator says so. A function evaluator's answer is recorded,
 * so a resumed run takes the same branch. When the answer is no, nothing runs and the previous step's
 * content flows on to the next step.
 */
import { StepNode, assertUniqueNames } from './definition.js';
import { InvalidDefinitionError } from './errors.js';
import type { StepLike } from './normalize.js';
import { toNodes } from './normalize.js';
import { decide } from './runner/decision.js';
import type { Scope } from './runner/scope.js';
import { compositeOutput, runSequence } from './runner/sequence.js';
import type { StepOutput } from './step-output.js';
import type { StepInput } from './types.js';

export type ConditionEvaluator = boolean | ((input: StepInput) => boolean | Promise<boolean>);

export interface ConditionOptions {
  name: string;
  description?: string;
  evaluator: ConditionEvaluator;
  steps: StepLike[];
}

export class Condition extends StepNode {
  readonly kind = 'condition';
  readonly description: string | undefined;
  readonly evaluator: ConditionEvaluator;
  readonly steps: readonly StepNode[];

  constructor(options: ConditionOptions) {
    super(options?.name, 'new Condition()');
    this.description = options.description;
    if (typeof options.evaluator !== 'boolean' && typeof options.evaluator !== 'function') {
      throw new InvalidDefinitionError(this.name, 'evaluator must be a boolean or a function (input) => boolean.');
    }
    this.evaluator = options.evaluator;
    this.steps = toNodes(options.steps, `Condition "${this.name}"`);
    if (this.steps.length === 0) throw new InvalidDefinitionError(this.name, 'a Condition needs at least one step to run.');
    assertUniqueNames(this.steps, `Condition "${this.name}"`);
  }

  children(): readonly StepNode[] {
    return this.steps;
  }

  async execute(scope: Scope, path: string): Promise<StepOutput | null> {
    const run = scope.run;
    run.emit('ConditionExecutionStarted', path, this.name, {});
    const evaluator = this.evaluator;
    const result = typeof evaluator === 'boolean' ? evaluator : await decide(scope, path, this.name, evaluator, (raw) => Boolean(raw));
    if (!result) {
      run.emit('ConditionExecutionCompleted', path, this.name, { result });
      return null;
    }
    const output = compositeOutput(this.name, 'condition', await runSequence(this.steps, scope, path));
    run.emit('ConditionExecutionCompleted', path, this.name, { result });
    scope.record(this.name, output);
    return output;
  }
}
