/**
 * What executes runs in one process: storage, clock, the lease owner id and its heartbeat, and the runs in
 * flight. A Workflow used alone builds its own; an Engine shares one across its workflows.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Storage } from '../storage/types.js';
import type { Clock, RunResult } from '../types.js';
import type { RunContext } from './run-context.js';

export interface RuntimeOptions {
  storage: Storage;
  clock: Clock;
  random: () => number;
  /** Lease owner id of this process. */
  owner?: string;
  leaseTtlMs: number;
  /** Where background failures (heartbeats, recovery) go, since nobody awaits them. */
  onBackgroundError: (error: unknown) => void;
}

/** A run executing in this process. */
export class ActiveRun {
  /** Set once the run context exists (after the run record is written). */
  context: RunContext | undefined = undefined;
  /** Cancel requested before the context existed; applied when it does. */
  pendingCancel: unknown = undefined;
  /** Assigned by launchRun right after construction. */
  result!: Promise<RunResult>;
  private isCreated = false;
  private waitingForCreation: Promise<void> | undefined = undefined;
  private resolveCreated: (() => void) | undefined = undefined;

  constructor(readonly workflowName: string) {}

  /** Settles once the run record is written (or the run failed before that). Built only if someone waits. */
  get created(): Promise<void> {
    if (this.isCreated) return Promise.resolve();
    return (this.waitingForCreation ??= new Promise<void>((resolve) => (this.resolveCreated = resolve)));
  }

  markCreated(): void {
    this.isCreated = true;
    this.resolveCreated?.();
  }

  cancel(reason: unknown): void {
    if (this.context !== undefined) this.context.cancel(reason);
    else this.pendingCancel ??= reason;
  }
}

export const DEFAULT_LEASE_TTL_MS = 30_000;

export function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export class Runtime {
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: () => number;
  readonly owner: string;
  readonly leaseTtlMs: number;
  readonly onBackgroundError: (error: unknown) => void;
  readonly active = new Map<string, ActiveRun>();
  private ready: Promise<void> | undefined;
  private initialized = false;
  private stopHeartbeat: (() => void) | undefined;
  private heartbeatsEnabled = true;

  constructor(options: RuntimeOptions) {
    this.storage = options.storage;
    this.clock = options.clock;
    this.random = options.random;
    this.owner = options.owner ?? defaultOwner();
    this.leaseTtlMs = options.leaseTtlMs;
    this.onBackgroundError = options.onBackgroundError;
  }

  /** storage.init() once; undefined when already done (no await on the hot path). */
  init(): Promise<void> | undefined {
    if (this.initialized) return undefined;
    this.ready ??= this.storage.init().then(
      () => {
        this.initialized = true;
      },
      (error: unknown) => {
        this.ready = undefined; // let the next run try again (e.g. the database came back)
        throw error;
      },
    );
    return this.ready;
  }

  leaseExpiry(): number {
    return this.clock.now() + this.leaseTtlMs;
  }

  track(runId: string, run: ActiveRun): void {
    this.active.set(runId, run);
    if (this.stopHeartbeat === undefined && this.heartbeatsEnabled) this.scheduleHeartbeat();
  }

  untrack(runId: string): void {
    this.active.delete(runId);
  }

  /** Stops renewing leases (Engine.stop); runs still in flight finish, but their leases may lapse. */
  disableHeartbeats(): void {
    this.heartbeatsEnabled = false;
    this.stopHeartbeat?.();
    this.stopHeartbeat = undefined;
  }

  /** Resolves when every run in flight has settled. */
  async drain(): Promise<void> {
    while (this.active.size > 0) {
      await Promise.allSettled([...this.active.values()].map((run) => run.result));
    }
  }

  /**
   * Renews the leases of this owner's running runs every third of the TTL, so a live process never loses a
   * run to another's recovery. The timer is unref'd and stops itself when no run is in flight.
   */
  private scheduleHeartbeat(): void {
    this.stopHeartbeat = this.clock.setTimer(Math.max(1, Math.floor(this.leaseTtlMs / 3)), () => {
      if (this.active.size === 0 || !this.heartbeatsEnabled) {
        this.stopHeartbeat = undefined;
        return;
      }
      const now = this.clock.now();
      this.storage.heartbeat(this.owner, now + this.leaseTtlMs, now).then(
        () => {
          if (this.stopHeartbeat !== undefined) this.scheduleHeartbeat();
        },
        (error: unknown) => {
          this.onBackgroundError(error);
          if (this.stopHeartbeat !== undefined) this.scheduleHeartbeat();
        },
      );
    }, { unref: true });
  }
}
