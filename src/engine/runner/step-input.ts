/**
 * The StepInput a step receives. A class with getters, so building one per attempt is one small allocation
 * and the costlier views (previousStepOutputs, the outbox) are only built when a step asks for them.
 */
import { PauseRun } from '../pause.js';
import type { StepOutput } from '../step-output.js';
import type { SessionState, StepInput, StepOutbox, StepRef, WorkflowHistoryEntry } from '../types.js';
import type { OutboxRow } from './run-context.js';
import type { Scope } from './scope.js';

const NO_HISTORY: readonly WorkflowHistoryEntry[] = Object.freeze([]);
const NO_MEDIA: readonly unknown[] = Object.freeze([]);
const NO_DATA: Readonly<Record<string, unknown>> = Object.freeze({});

class StagedOutbox implements StepOutbox {
  readonly rows: OutboxRow[] = [];

  constructor(private readonly runId: string, private readonly stepPath: string) {}

  enqueue(topic: string, payload: unknown, options?: { key?: string }): string {
    if (typeof topic !== 'string' || topic === '') throw new TypeError(`outbox.enqueue in step "${this.stepPath}" needs a non-empty topic string.`);
    const base = `${this.runId}/${this.stepPath}`;
    const key = options?.key ?? (this.rows.length === 0 ? base : `${base}#${this.rows.length + 1}`);
    this.rows.push({ key, topic, payload, runId: this.runId });
    return key;
  }
}

export class RunStepInput implements StepInput {
  workflowSessionState: SessionState;
  /** Set for an attempt with a timeout (its own signal); otherwise the run's. */
  private attemptSignal: AbortSignal | undefined = undefined;
  private staged: StagedOutbox | undefined = undefined;

  constructor(
    private readonly scope: Scope,
    readonly stepName: string,
    readonly stepPath: string,
    readonly attempt: number,
    /** Earlier runs this step asked for (0 = only what the workflow asked for). */
    private readonly stepHistoryRuns: number,
  ) {
    this.workflowSessionState = scope.state;
  }

  get signal(): AbortSignal {
    return this.attemptSignal ?? this.scope.run.signal;
  }

  useSignal(signal: AbortSignal): void {
    this.attemptSignal = signal;
  }

  get message(): unknown {
    return this.scope.run.input.message;
  }

  get previousStepContent(): unknown {
    return this.scope.previous?.content;
  }

  get previousStepOutputs(): Readonly<Record<string, StepOutput>> {
    return this.scope.outputs.toRecord();
  }

  getStepContent(stepName: string): unknown;
  getStepContent<Content>(step: StepRef<Content>): Content | undefined;
  getStepContent(step: string | StepRef<unknown>): unknown {
    return this.scope.outputs.get(typeof step === 'string' ? step : step.stepName)?.content;
  }

  get additionalData(): Readonly<Record<string, unknown>> {
    return this.scope.run.input.additionalData ?? NO_DATA;
  }

  get media(): readonly unknown[] {
    return this.scope.run.input.media ?? NO_MEDIA;
  }

  get workflowHistory(): readonly WorkflowHistoryEntry[] {
    const run = this.scope.run;
    const wanted = Math.max(run.workflowHistoryRuns, this.stepHistoryRuns);
    if (wanted === 0 || run.history.length === 0) return NO_HISTORY;
    return run.history.slice(-wanted);
  }

  get runId(): string {
    return this.scope.run.runId;
  }

  get rootRunId(): string {
    return this.scope.run.rootRunId;
  }

  get sessionId(): string {
    return this.scope.run.sessionId;
  }

  get userId(): string | undefined {
    return this.scope.run.userId;
  }

  get resumeData(): unknown {
    const resume = this.scope.run.resume;
    return resume !== undefined && resume.stepPath === this.stepPath ? resume.data : undefined;
  }

  get outbox(): StepOutbox {
    return (this.staged ??= new StagedOutbox(this.scope.run.runId, this.stepPath));
  }

  /** Rows staged by this attempt (written with the step's result if it completes). */
  stagedOutbox(): OutboxRow[] | undefined {
    return this.staged !== undefined && this.staged.rows.length > 0 ? this.staged.rows : undefined;
  }

  pause(reason: string, options?: { resumeKey?: string }): never {
    throw new PauseRun(reason, options);
  }
}
