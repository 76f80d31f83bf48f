/**
 * One line of execution inside a run: the main line, or one Parallel branch. It owns the session state that
 * line mutates (a branch: its own copy), the fingerprint of that state at the last completed step, the
 * outputs registered so far and the previous step's output.
 */
import type { StepOutput } from '../step-output.js';
import type { SessionState } from '../types.js';
import { OutputRegistry } from './outputs.js';
import type { RunContext } from './run-context.js';
import type { Fingerprint } from './state.js';
import { stateFromFingerprint } from './state.js';

export class Scope {
  constructor(
    readonly run: RunContext,
    public state: SessionState,
    /** The state as of the last completed step (what a failed attempt is rolled back to). */
    public fingerprint: Fingerprint,
    readonly outputs: OutputRegistry,
    public previous: StepOutput | undefined,
    /** Inside a Parallel branch: records are committed without the session (the Parallel commits the merge). */
    readonly isBranch: boolean,
  ) {}

  /** A Parallel branch: an isolated copy of the state, outputs layered over this line's. */
  fork(): Scope {
    return new Scope(this.run, stateFromFingerprint(this.fingerprint), this.fingerprint, new OutputRegistry(this.outputs), this.previous, true);
  }

  /** The output becomes visible by name and as the next step's `previousStepContent`. */
  record(name: string, output: StepOutput): void {
    this.outputs.set(name, output);
    this.previous = output;
  }
}
