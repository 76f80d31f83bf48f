/** `Steps`: a named group of steps run in order (its children's paths are `group/child`). */
import { StepNode, assertUniqueNames } from './definition.js';
import { InvalidDefinitionError } from './errors.js';
import type { StepLike } from './normalize.js';
import { toNodes } from './normalize.js';
import type { Scope } from './runner/scope.js';
import { compositeOutput, runSequence } from './runner/sequence.js';
import type { StepOutput } from './step-output.js';

export interface StepsOptions {
  name: string;
  description?: string;
  steps: StepLike[];
}

export class Steps extends StepNode {
  readonly kind = 'steps';
  readonly description: string | undefined;
  readonly steps: readonly StepNode[];

  constructor(options: StepsOptions) {
    super(options?.name, 'new Steps()');
    this.description = options.description;
    this.steps = toNodes(options.steps, `Steps "${this.name}"`);
    if (this.steps.length === 0) throw new InvalidDefinitionError(this.name, 'a Steps group needs at least one step.');
    assertUniqueNames(this.steps, `Steps "${this.name}"`);
  }

  children(): readonly StepNode[] {
    return this.steps;
  }

  async execute(scope: Scope, path: string): Promise<StepOutput> {
    const run = scope.run;
    run.emit('StepsExecutionStarted', path, this.name, { stepCount: this.steps.length });
    const output = compositeOutput(this.name, 'steps', await runSequence(this.steps, scope, path));
    run.emit('StepsExecutionCompleted', path, this.name, { stepCount: output.steps?.length ?? 0 });
    scope.record(this.name, output);
    return output;
  }
}
