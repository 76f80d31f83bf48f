/**
 * Step outputs by name, as `input.getStepContent(name)` and `input.previousStepOutputs` see them. A Parallel
 * branch writes into its own registry layered over its parent's; the Parallel adopts the branches' entries
 * in declared order once all have finished, so what later steps see never depends on finishing order.
 */
import type { StepOutput } from '../step-output.js';

export class OutputRegistry {
  /** Created on the first registration (a Parallel makes one registry per branch). */
  private own: Map<string, StepOutput> | undefined = undefined;

  constructor(private readonly parent?: OutputRegistry) {}

  get(name: string): StepOutput | undefined {
    return this.own?.get(name) ?? this.parent?.get(name);
  }

  set(name: string, output: StepOutput): void {
    (this.own ??= new Map()).set(name, output);
  }

  /** Takes over what a branch registered (later branches overwrite earlier ones on a shared name). */
  adopt(branch: OutputRegistry): void {
    if (branch.own !== undefined) for (const [name, output] of branch.own) this.set(name, output);
  }

  /** Registers a reused output and its children under their names, as executing them would have. */
  registerTree(output: StepOutput): void {
    if (output.steps) for (const child of output.steps) this.registerTree(child);
    if (output.stepName !== undefined) this.set(output.stepName, output);
  }

  toRecord(): Record<string, StepOutput> {
    const record = this.parent ? this.parent.toRecord() : {};
    if (this.own !== undefined) for (const [name, output] of this.own) record[name] = output;
    return record;
  }
}
