/**
 * Everything one run shares across its steps: identity, storage and durability, the clock, events, the
 * records of an earlier execution (for resume/rerun), and counters. Kept as one plain class so the per-step
 * hot path touches fields, not closures.
 */
import type { WorkflowEvent, WorkflowEventMap, WorkflowEventType } from '../events.js';
import type { StepOutput } from '../step-output.js';
import type { OutboxMessage, RunFinish, RunInputRecord, StepCommit, StepResultRecord, Storage, WriteChain } from '../storage/types.js';
import type { Clock, WorkflowHistoryEntry } from '../types.js';
import type { RunDefinition, RunPlan } from './execute-run.js';
import type { Runtime } from './runtime.js';
import type { Scope } from './scope.js';

export type OutboxRow = OutboxMessage & { runId?: string };

export class RunContext {
  readonly runId: string;
  readonly rootRunId: string;
  readonly workflowName: string;
  readonly sessionId: string;
  readonly userId: string | undefined;
  readonly input: RunInputRecord;
  readonly storage: Storage;
  /** This process's lease owner id: every commit is fenced on it (see StepCommit.leaseOwner). */
  readonly leaseOwner: string;
  readonly clock: Clock;
  readonly random: () => number;
  readonly memo: Map<string, StepResultRecord> | undefined;
  readonly copyReused: boolean;
  readonly resume: { stepPath: string; data: unknown } | undefined;
  readonly history: readonly WorkflowHistoryEntry[];
  readonly workflowHistoryRuns: number;
  sessionVersion: number;

  readonly events: WorkflowEvent[] = [];
  /** Events not yet written (storeEvents): they ride along with the next commit. */
  private pendingEvents: WorkflowEvent[] | undefined;
  private readonly storeEvents: boolean;
  private readonly eventsToSkip: ReadonlySet<string> | undefined;
  private readonly listener: ((event: WorkflowEvent) => void) | undefined;
  private seq: number;

  /**
   * Write-behind (a storage with `writeBehind`, durability 'sync', no listener streaming the run): a step that
   * answered synchronously does not wait for its commit before the next step starts; its record is written with
   * the run's next write, in the same transaction (see `behind`). Every write of the run carries this chain, so
   * the storage refuses the later ones once one is refused. A run streamed to a listener keeps waiting per
   * step: whoever watches it is never told of a step that is not on disk yet.
   */
  readonly chain: WriteChain | undefined;
  /** Held mode (see commitHolding): commits of steps that settled without I/O, not yet sent. */
  private readonly held: StepCommit[] | undefined;
  /** A held step changed the session state: the run's next write that can carry the session does. */
  private heldState = false;
  private heldFlushScheduled = false;
  /** Held commits being sent (in order); rejected once one is refused. */
  private heldSending: Promise<void> | undefined;

  /** `durability: 'exit'`: records and outbox rows wait here for finishRun. */
  readonly exitRecords: StepResultRecord[] | undefined;
  readonly exitOutbox: OutboxRow[] | undefined;

  /** Set by a step returning `stop: true`: every enclosing sequence ends, the run completes. */
  stopOutput: StepOutput | undefined = undefined;
  stepsExecuted = 0;
  stepsReused = 0;
  /** Once the run has ended (e.g. cancelled while a step was in flight), late steps may not commit. */
  private closedBy: unknown = undefined;
  /*
   * Cancellation is lazy: an AbortController plus an abort listener costs ~10 µs on Node 20, more than a whole
   * step. The controller is created when a step first reads its signal (or on cancel), and the runner's own
   * waits (top-level race, retry sleeps, timeouts) register plain hooks instead of event listeners.
   */
  private controller: AbortController | undefined = undefined;
  private cancelledWith: unknown = undefined;
  private cancelHooks: Set<(reason: unknown) => void> | undefined = undefined;
  /** The runner's own wait for the walk (one per run, so a field rather than a hook in the set). */
  onRunCancelled: ((reason: unknown) => void) | undefined = undefined;

  /** Built from the run's definition, runtime and plan directly (no options object: one per run adds up). */
  constructor(def: RunDefinition, runtime: Runtime, plan: RunPlan, history: readonly WorkflowHistoryEntry[], sessionVersion: number, firstEventSeq: number) {
    this.runId = plan.runId;
    this.rootRunId = plan.rootRunId ?? plan.runId;
    this.workflowName = def.name;
    this.sessionId = plan.sessionId;
    this.userId = plan.userId;
    this.input = plan.input;
    this.storage = runtime.storage;
    this.leaseOwner = runtime.owner;
    this.clock = runtime.clock;
    this.random = runtime.random;
    this.memo = plan.memo;
    this.copyReused = plan.copyReused ?? false;
    this.resume = plan.resume;
    this.history = history;
    this.workflowHistoryRuns = def.workflowHistoryRuns;
    this.sessionVersion = sessionVersion;
    this.storeEvents = def.storeEvents;
    this.eventsToSkip = def.eventsToSkip;
    this.listener = plan.listener;
    this.seq = firstEventSeq;
    this.exitRecords = def.durability === 'exit' ? [] : undefined;
    this.exitOutbox = def.durability === 'exit' ? [] : undefined;
    // A run streamed to a listener waits for each step's write: whoever watches is never told of a step not on disk.
    const behind = def.durability === 'sync' && plan.listener === undefined;
    this.chain = behind && runtime.storage.writeBehind === true ? {} : undefined;
    this.held = behind && this.chain === undefined && runtime.storage.finishesWithSteps === true ? [] : undefined;
  }

  get stopped(): boolean {
    return this.stopOutput !== undefined;
  }

  emit<K extends WorkflowEventType>(type: K, stepPath: string | undefined, stepName: string | undefined, data: WorkflowEventMap[K]): void {
    const event = { type, runId: this.runId, seq: this.seq++, stepPath, stepName, time: this.clock.now(), data } as WorkflowEvent;
    if (this.eventsToSkip === undefined || !this.eventsToSkip.has(type)) {
      this.events.push(event);
      if (this.storeEvents) (this.pendingEvents ??= []).push(event);
    }
    if (this.listener !== undefined) this.listener(event);
  }

  /** Events not yet stored (handed to finishRun at the end); undefined when there are none. */
  takePendingEvents(): WorkflowEvent[] | undefined {
    const events = this.pendingEvents;
    this.pendingEvents = undefined;
    return events !== undefined && events.length > 0 ? events : undefined;
  }

  /** Aborted when the run is cancelled; what steps get as `input.signal`. */
  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  get cancelled(): boolean {
    return this.cancelledWith !== undefined;
  }

  get cancelReason(): unknown {
    return this.cancelledWith;
  }

  /** Aborts the run's signal and wakes every runner wait (first reason wins). */
  cancel(reason: unknown): void {
    if (this.cancelledWith !== undefined) return;
    this.cancelledWith = reason;
    (this.controller ??= new AbortController()).abort(reason);
    if (this.cancelHooks !== undefined) for (const hook of this.cancelHooks) hook(reason);
    this.onRunCancelled?.(reason);
  }

  /** Calls `hook` on cancellation (at once if already cancelled); returns the unsubscribe function. */
  onCancel(hook: (reason: unknown) => void): () => void {
    if (this.cancelledWith !== undefined) {
      hook(this.cancelledWith);
      return () => {};
    }
    const hooks = (this.cancelHooks ??= new Set());
    hooks.add(hook);
    return () => hooks.delete(hook);
  }

  /** Throws if the run was cancelled or has ended: nothing may execute or commit after that. */
  assertOpen(): void {
    if (this.closedBy !== undefined) throw this.closedBy;
    if (this.cancelledWith !== undefined) throw this.cancelledWith;
  }

  /** Waits `ms` on the run's clock; rejects with the cancel reason if the run is cancelled meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const stopTimer = this.clock.setTimer(ms, () => {
        unhook();
        resolve();
      });
      const unhook = this.onCancel((reason) => {
        stopTimer();
        reject(reason as Error);
      });
    });
  }

  close(reason: unknown): void {
    this.closedBy ??= reason;
  }

  /** The recorded result at `path` from an earlier execution, if that step completed (or was skipped). */
  recorded(path: string): StepResultRecord | undefined {
    const record = this.memo?.get(path);
    return record !== undefined && record.status !== 'error' ? record : undefined;
  }

  /**
   * ONE storage write per completed step: its record, the session state after it (main line only, and only
   * when the step changed it), the events since the last commit and the step's outbox rows. `behind`: the
   * step settled without waiting on I/O, so with write-behind the run will not wait for this write (held
   * mode keeps it for the run's next write and returns undefined).
   */
  commit(scope: Scope, record: StepResultRecord, outbox: OutboxRow[] | undefined, behind = false): Promise<{ sessionVersion?: number }> | undefined {
    this.assertOpen();
    if (this.exitRecords !== undefined) {
      this.exitRecords.push(record);
      if (outbox !== undefined) this.exitOutbox?.push(...outbox);
      return undefined;
    }
    const commit: StepCommit = { step: record, leaseOwner: this.leaseOwner };
    const events = this.takePendingEvents();
    if (events !== undefined) commit.events = events;
    if (outbox !== undefined) commit.outbox = outbox;
    if (this.held !== undefined) return this.commitHolding(scope, commit, behind);
    if (!scope.isBranch && record.stateDelta !== null) {
      commit.session = { sessionId: this.sessionId, state: scope.state, expectedVersion: this.sessionVersion };
    }
    if (this.chain !== undefined) {
      commit.chain = this.chain;
      // The chain's writes land in order or not at all, so the version this one writes is known now.
      if (commit.session !== undefined) this.sessionVersion = commit.session.expectedVersion + 1;
    }
    return this.storage.commitStep(commit);
  }

  /**
   * Held mode (a storage with `finishesWithSteps`, e.g. Postgres, where every write is a round trip and a
   * statement): a step that settled without I/O is held, not sent; the held steps ride with the run's end in
   * ONE statement (finishRun writes step records), or are sent in order once the microtasks are done if the run
   * goes on to wait on I/O. Held records carry no session state — their state deltas are in the records, and a
   * resumed run rebuilds its state from them — so the run's next write that can carry the session (a step that
   * waited on I/O, or the end) writes the state as it then is, checked against the version the run started from.
   */
  private commitHolding(scope: Scope, commit: StepCommit, behind: boolean): Promise<{ sessionVersion?: number }> | undefined {
    const held = this.held!;
    const changesState = !scope.isBranch && commit.step.stateDelta !== null;
    if (behind) {
      if (changesState) this.heldState = true;
      held.push(frozen(commit));
      if (!this.heldFlushScheduled) {
        this.heldFlushScheduled = true;
        process.nextTick(() => {
          this.heldFlushScheduled = false;
          this.sendHeld().then(undefined, () => {}); // a refusal closes the run (see sendHeld)
        });
      }
      return undefined;
    }
    if (!scope.isBranch && (changesState || this.heldState)) {
      commit.session = { sessionId: this.sessionId, state: scope.state, expectedVersion: this.sessionVersion };
      this.heldState = false;
    }
    if (held.length === 0 && this.heldSending === undefined) return this.storage.commitStep(commit);
    return this.sendHeld().then(() => this.storage.commitStep(commit));
  }

  /** Sends the held commits, in order, after any sent before; once one is refused the rest are not sent. */
  private sendHeld(): Promise<void> {
    const batch = this.held!.splice(0);
    if (batch.length > 0) {
      const previous = this.heldSending ?? Promise.resolve();
      const sending = previous.then(async () => {
        if (batch.length > 1 && this.storage.commitHeldSteps !== undefined) await this.storage.commitHeldSteps(batch);
        else for (const commit of batch) await this.storage.commitStep(commit);
      });
      sending.then(undefined, (error: unknown) => this.close(error));
      this.heldSending = sending;
    }
    return this.heldSending ?? Promise.resolve();
  }

  /**
   * Held mode, at the run's end: the held steps join the finish (one statement) unless they must go first (rows
   * for the outbox, which finishRun does not write, or earlier held steps still being sent); the session state
   * is written with the finish if a held step changed it.
   */
  async settleHeld(finish: RunFinish, state: Record<string, unknown>): Promise<void> {
    if (this.held === undefined) return;
    const held = this.held;
    const mergeable = this.heldSending === undefined && held.every((commit) => commit.outbox === undefined || commit.outbox.length === 0);
    if (mergeable && held.length > 0) {
      finish.steps = held.map((commit) => commit.step);
      const events = held.flatMap((commit) => commit.events ?? []);
      if (finish.events !== undefined) events.push(...finish.events);
      if (events.length > 0) finish.events = events;
      held.length = 0;
    } else if (held.length > 0 || this.heldSending !== undefined) {
      await this.sendHeld();
    }
    if (this.heldState) {
      finish.session = { sessionId: this.sessionId, state, expectedVersion: this.sessionVersion };
      this.heldState = false;
    }
  }

  /**
   * Write-behind: the run goes on without waiting for this commit (it is flushed with the run's next writes once
   * the current microtasks are done). A refusal closes the run: its next step or its finish fails with that
   * error, and the storage refuses the chain's later writes, so nothing after the refused step is kept.
   */
  behind(writing: Promise<unknown>): void {
    writing.then(undefined, (error: unknown) => this.close(error));
  }

  /** Takes note of a commit's outcome (the session version it wrote). The caller awaits the write itself, saving a promise per step. */
  committed(result: { sessionVersion?: number }): void {
    if (result.sessionVersion !== undefined) this.sessionVersion = result.sessionVersion;
  }

  /**
   * commit() + committed(), for the paths that are not per-step hot. `derived`: the record was computed without
   * waiting on I/O (a decision evaluated synchronously, a Parallel's merge, a reused record), so with
   * write-behind the run need not wait for it.
   */
  async commitAndWait(scope: Scope, record: StepResultRecord, outbox: OutboxRow[] | undefined, derived = false): Promise<void> {
    const writing = this.commit(scope, record, outbox, derived && this.writesBehind);
    if (writing === undefined) return;
    if (derived && this.chain !== undefined) this.behind(writing);
    else this.committed(await writing);
  }

  /** Write-behind in either form: a step that settled without I/O need not be waited for. */
  get writesBehind(): boolean {
    return this.chain !== undefined || this.held !== undefined;
  }
}

/**
 * A held commit is written later (with the run's next write), so its step's output is encoded now
 * (`StepResultRecord.outputJson`, the JSON the storage then writes): a later step that changes an earlier step's
 * output in place must not change that step's record, as it could not change a commit written at once (a resumed
 * run reuses the record). Encoded once, as a commit written at once is. State deltas are fresh copies already.
 * Events are not copied: a step's StepCompleted rides the next commit in every mode, so its data is what it is
 * when that commit is written.
 */
function frozen(commit: StepCommit): StepCommit {
  const outputJson = JSON.stringify(commit.step.output) as string | undefined;
  if (outputJson !== undefined) commit.step = { ...commit.step, outputJson };
  return commit;
}
