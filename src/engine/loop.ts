/**
 * `Loop`: runs its steps again and again until `exitCondition(outputs of the iteration)` says stop, at most
 * `maxIterations` times. Iteration n's steps have paths `loop/#n/step`, so a resumed run reuses the
 * iterations that completed and continues with the first one that did not.
 */
import { StepNode, assertUniqueNames } from './definition.js';
import { InvalidDefinitionError, StepFailedError } from './errors.js';
import type { StepLike } from './normalize.js';
import { toNodes } from './normalize.js';
import type { Scope } from './runner/scope.js';
import { compositeOutput, runSequence } from './runner/sequence.js';
import type { StepOutput } from './step-output.js';

export interface LoopOptions {
  name: string;
  description?: string;
  steps: StepLike[];
  /** Gets the outputs of the iteration that just ran; true ends the loop. Should be a pure function of them. @default never (runs maxIterations times) */
  exitCondition?: (outputs: StepOutput[]) => boolean | Promise<boolean>;
  /** @default 3 */
  maxIterations?: number;
}

export class Loop extends StepNode {
  readonly kind = 'loop';
  readonly description: string | undefined;
  readonly steps: readonly StepNode[];
  readonly exitCondition: ((outputs: StepOutput[]) => boolean | Promise<boolean>) | undefined;
  readonly maxIterations: number;

  constructor(options: LoopOptions) {
    super(options?.name, 'new Loop()');
    this.description = options.description;
    this.steps = toNodes(options.steps, `Loop "${this.name}"`);
    if (this.steps.length === 0) throw new InvalidDefinitionError(this.name, 'a Loop needs at least one step to repeat.');
    assertUniqueNames(this.steps, `Loop "${this.name}"`);
    this.maxIterations = options.maxIterations ?? 3;
    if (!Number.isInteger(this.maxIterations) || this.maxIterations < 1) {
      throw new InvalidDefinitionError(this.name, `maxIterations must be an integer ≥ 1 (got ${options.maxIterations}).`);
    }
    if (options.exitCondition !== undefined && typeof options.exitCondition !== 'function') {
      throw new InvalidDefinitionError(this.name, 'exitCondition must be a function (outputs) => boolean.');
    }
    this.exitCondition = options.exitCondition;
  }

  children(): readonly StepNode[] {
    return this.steps;
  }

  async execute(scope: Scope, path: string): Promise<StepOutput> {
    const run = scope.run;
    run.emit('LoopExecutionStarted', path, this.name, { maxIterations: this.maxIterations });
    const all: StepOutput[] = [];
    let iteration = 0;
    while (iteration < this.maxIterations) {
      iteration++;
      run.emit('LoopIterationStarted', path, this.name, { iteration });
      const outputs = await runSequence(this.steps, scope, `${path}/#${iteration}`);
      for (const output of outputs) all.push(output);
      const exit = run.stopOutput !== undefined || (await this.shouldExit(outputs, path));
      run.emit('LoopIterationCompleted', path, this.name, { iteration, exit });
      if (exit) break;
    }
    const output = compositeOutput(this.name, 'loop', all);
    run.emit('LoopExecutionCompleted', path, this.name, { iterations: iteration });
    scope.record(this.name, output);
    return output;
  }

  private async shouldExit(outputs: StepOutput[], path: string): Promise<boolean> {
    if (this.exitCondition === undefined) return false;
    try {
      return Boolean(await this.exitCondition(outputs));
    } catch (error) {
      throw new StepFailedError(this.name, path, 1, error);
    }
  }
}
