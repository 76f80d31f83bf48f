/**
 * `Engine`: the workflows of one process over one storage. It owns the lease (owner id + heartbeat) of the
 * runs it executes and, on start and then periodically, recovers runs whose owner died: it claims runs left
 * `running` with an expired lease (atomically, so two processes never take the same run) and resumes each
 * with its workflow, reusing every completed step.
 */
import { systemClock } from './clock.js';
import { InvalidOptionError, WorkflowNotRegisteredError } from './errors.js';
import { serializeError } from './runner/errors-json.js';
import { DEFAULT_LEASE_TTL_MS, Runtime } from './runner/runtime.js';
import type { PurgeRequest } from './run-options.js';
import { purgeBefore } from './run-options.js';
import type { PurgeCounts, RunRecord, Storage } from './storage/types.js';
import type { Clock, RunResult } from './types.js';
import type { Workflow } from './workflow.js';
import { ATTACH_RUNTIME, RESUME_CLAIMED } from './workflow.js';

export interface EngineOptions {
  storage: Storage;
  workflows: Workflow[] | Record<string, Workflow>;
  /** Lease owner id of this process. @default `${hostname}:${pid}:${random}` */
  owner?: string;
  /** How long a run's lease holds without a heartbeat (heartbeats every third of it). @default 30000 */
  leaseTtlMs?: number;
  /** @default the system clock */
  clock?: Clock;
  /** @default Math.random */
  random?: () => number;
  /** Recover runs of dead processes in start(). @default true */
  recoverOnBoot?: boolean;
  /** Look for runs of dead processes this often after start (0 = only on boot). @default leaseTtlMs */
  recoverEveryMs?: number;
  /** Runs claimed per recovery query. @default 100 */
  recoverBatchSize?: number;
  /** Default age for purge() (LGPD retention). @default 90 days */
  retentionMs?: number;
  /** Failures of background work (heartbeats, periodic recovery). @default process.emitWarning */
  onBackgroundError?: (error: unknown) => void;
}

export interface RecoveredRun {
  runId: string;
  workflowName: string;
  result: Promise<RunResult>;
}

export interface RecoveryReport {
  /** Runs claimed and resumed (their results settle as they finish). */
  resumed: RecoveredRun[];
  /** Runs of workflows this engine does not know: marked `error` with WORKFLOW_NOT_REGISTERED. */
  orphaned: Array<{ runId: string; workflowName: string }>;
}

const DEFAULT_RETENTION_MS = 90 * 24 * 3600 * 1000;

export class Engine {
  readonly storage: Storage;
  readonly owner: string;
  private readonly runtime: Runtime;
  private readonly workflows = new Map<string, Workflow>();
  private readonly options: EngineOptions;
  private stopRecovery: (() => void) | undefined;
  private stopped = false;

  constructor(options: EngineOptions) {
    if (typeof options !== 'object' || options === null || typeof options.storage?.claimExpiredRuns !== 'function') {
      throw new InvalidOptionError('new Engine({ storage, workflows }) needs a Storage (MemoryStorage, SqliteStorage or PostgresStorage).');
    }
    const leaseTtlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
    if (!Number.isFinite(leaseTtlMs) || leaseTtlMs < 1000) throw new InvalidOptionError(`Engine leaseTtlMs must be ≥ 1000 ms (got ${leaseTtlMs}).`);
    this.options = options;
    this.storage = options.storage;
    this.runtime = new Runtime({
      storage: options.storage,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
      owner: options.owner,
      leaseTtlMs,
      onBackgroundError: options.onBackgroundError ?? ((error) => process.emitWarning(error instanceof Error ? error : String(error))),
    });
    this.owner = this.runtime.owner;
    const list = Array.isArray(options.workflows) ? options.workflows : Object.values(options.workflows ?? {});
    for (const workflow of list) this.register(workflow);
  }

  /** A registered workflow by name. */
  workflow(name: string): Workflow {
    const workflow = this.workflows.get(name);
    if (workflow === undefined) throw new WorkflowNotRegisteredError(name, [...this.workflows.keys()]);
    return workflow;
  }

  /** Opens storage (migrations), recovers runs of dead processes (unless recoverOnBoot is false), starts periodic recovery. */
  async start(): Promise<RecoveryReport> {
    this.stopped = false;
    await this.runtime.init();
    const report = this.options.recoverOnBoot === false ? { resumed: [], orphaned: [] } : await this.recover();
    const every = this.options.recoverEveryMs ?? this.runtime.leaseTtlMs;
    if (every > 0 && this.stopRecovery === undefined) this.scheduleRecovery(every);
    return report;
  }

  /** Claims every run whose lease expired and resumes it. Safe to call from several processes at once. */
  async recover(): Promise<RecoveryReport> {
    await this.runtime.init();
    const report: RecoveryReport = { resumed: [], orphaned: [] };
    const batch = this.options.recoverBatchSize ?? 100;
    for (;;) {
      const now = this.runtime.clock.now();
      const claimed = await this.storage.claimExpiredRuns(this.owner, this.runtime.leaseExpiry(), now, batch);
      for (const record of claimed) await this.resumeClaimed(record, report);
      if (claimed.length < batch) return report;
    }
  }

  /** Deletes finished runs and idle sessions older than `olderThan` (default: retentionMs). */
  async purge(request: Partial<PurgeRequest> = {}): Promise<PurgeCounts> {
    const olderThan = request.olderThan ?? this.options.retentionMs ?? DEFAULT_RETENTION_MS;
    return this.storage.purge({ before: purgeBefore({ ...request, olderThan }, this.runtime.clock.now()), statuses: request.statuses, batchSize: request.batchSize });
  }

  /** Stops recovery, lets the runs in flight finish (their leases are renewed meanwhile), then stops heartbeats. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopRecovery?.();
    this.stopRecovery = undefined;
    await this.runtime.drain();
    this.runtime.disableHeartbeats();
  }

  private register(workflow: Workflow): void {
    if (this.workflows.has(workflow.name)) throw new InvalidOptionError(`Two workflows named "${workflow.name}" were given to the Engine; names identify runs in storage, so they must be unique.`);
    if (workflow.configuredStorage !== undefined && workflow.configuredStorage !== this.storage) {
      throw new InvalidOptionError(`Workflow "${workflow.name}" was built with a different storage than the Engine's; build it without storage (the Engine gives it its own) or with the same instance.`);
    }
    workflow[ATTACH_RUNTIME](this.runtime);
    this.workflows.set(workflow.name, workflow);
  }

  private async resumeClaimed(record: RunRecord, report: RecoveryReport): Promise<void> {
    const workflow = this.workflows.get(record.workflowName);
    if (workflow === undefined) {
      // Nobody here can run it, and our heartbeat would keep our claim alive forever: fail it loudly.
      const error = new WorkflowNotRegisteredError(record.workflowName, [...this.workflows.keys()]);
      await this.storage.finishRun({ runId: record.runId, status: 'error', error: serializeError(error), now: this.runtime.clock.now() });
      report.orphaned.push({ runId: record.runId, workflowName: record.workflowName });
      return;
    }
    const result = workflow[RESUME_CLAIMED](record);
    // Periodic recovery has nobody awaiting the result: a run that can't even finish (storage down) is reported, not an unhandled rejection.
    result.catch((error: unknown) => this.runtime.onBackgroundError(error));
    report.resumed.push({ runId: record.runId, workflowName: record.workflowName, result });
  }

  private scheduleRecovery(everyMs: number): void {
    this.stopRecovery = this.runtime.clock.setTimer(everyMs, () => {
      if (this.stopped) return;
      this.recover().then(
        () => {
          if (!this.stopped) this.scheduleRecovery(everyMs);
        },
        (error: unknown) => {
          this.runtime.onBackgroundError(error);
          if (!this.stopped) this.scheduleRecovery(everyMs);
        },
      );
    }, { unref: true });
  }
}
