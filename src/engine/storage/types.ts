/**
 * The storage seam of the engine: one small interface, three implementations (memory, SQLite, Postgres),
 * one contract test suite (test/contract/storage.contract.test.ts) that every implementation passes.
 *
 * Design rules (why they exist):
 * - A completed step is ONE call (`commitStep`) = one transaction = ideally one round trip: its result, the
 *   session state after it, its events and its outbox rows. Mastra rewrites the whole run snapshot twice per
 *   step; LangGraph.js sends ~10 statements per step. We write only what changed.
 * - Resume is replay with memoization: the runner walks the definition again and, for every step path that
 *   has a `completed` record, reuses the recorded output and state delta instead of executing the step.
 *   So records are keyed by (runId, stepPath) and a path is stable: `final_processing/validation`,
 *   `research_loop/#2/deep_research` (loop iteration 2), a Router/Condition decision at the router's own path.
 * - Time is passed in (`now`, epoch ms) by the engine's injectable clock, so leases and retention are tested
 *   with fake clocks; storage never reads the wall clock for decisions.
 * - Nothing here assumes one process: leases, unique keys and version checks, not memory.
 */

/** Lifecycle of a run. `paused` waits for `wf.resume(runId, data)`; the last three are final. */
export type RunStatus = 'pending' | 'running' | 'paused' | 'completed' | 'error' | 'cancelled';

export const FINAL_RUN_STATUSES: readonly RunStatus[] = ['completed', 'error', 'cancelled'];

/** An error as stored: enough to show an admin what failed and why, cause chain included. */
export interface SerializedError {
  name: string;
  /** Stable code from src/engine/errors.ts (e.g. `STEP_FAILED`), or the original error's `code` if any. */
  code?: string;
  message: string;
  stepPath?: string;
  cause?: SerializedError;
}

/** What a run was started with (the guide's `run(message, ...)` arguments). JSON-serializable. */
export interface RunInputRecord {
  message: unknown;
  userId?: string;
  additionalData?: Record<string, unknown>;
  media?: unknown[];
}

export interface RunRecord {
  runId: string;
  workflowName: string;
  sessionId: string;
  status: RunStatus;
  input: RunInputRecord;
  /** Session state when the run started; replaying completed step deltas on top of it rebuilds the state. */
  initialState: Record<string, unknown>;
  /** Final content (set when the run finishes). */
  content?: unknown;
  error?: SerializedError;
  /** Rerun lineage: the run this one was created from by `wf.rerun`. */
  parentRunId?: string;
  /** Rerun: first step path that executed again (earlier steps reused the parent's records). */
  rerunFromStep?: string;
  /** Set while `status === 'paused'`. */
  pause?: { stepPath: string; reason: string; resumeKey: string };
  /**
   * Data passed to `wf.resume(runId, data)`; the paused step reads it when it runs again. The engine stores
   * `{ stepPath, data }` (the paused step's path with the data), so a run recovered after a crash during the
   * resumed step still knows which step the data is for.
   */
  resumeData?: unknown;
  metrics?: Record<string, unknown>;
  /** Lease: the process that is executing the run, and until when its claim holds without a heartbeat. */
  leaseOwner?: string;
  leaseExpiresAt?: number;
  /** Each execution attempt of the run: the process that started or took it over (`host:pid:…`), and when. */
  attempts?: RunAttempt[];
  createdAt: number;
  updatedAt: number;
  finishedAt?: number;
}

/** One execution attempt of a run (the run detail shows which process ran it). */
export interface RunAttempt {
  /** The lease owner id: `host:pid:random`. */
  process: string;
  startedAt: number;
}

/** Shallow, per top-level key: what a step changed in the session state. Values are JSON. */
export interface StateDelta {
  set: Record<string, unknown>;
  deleted: string[];
}

export type StepRecordStatus = 'completed' | 'skipped' | 'error';

export interface StepResultRecord {
  runId: string;
  /** Stable path of the step in the definition, `/`-separated (see the header comment). */
  stepPath: string;
  stepName: string;
  /** 'step' | 'steps' | 'parallel' | 'condition' | 'loop' | 'router' | 'workflow' | 'decision' | ... */
  stepType: string;
  status: StepRecordStatus;
  /** The serialized StepOutput: { content, success, error?, stop?, media? } — or a decision ({ route }, { branch }). */
  output: unknown;
  /**
   * `output` as the JSON text to store, encoded when the step completed — set by the runner on a step it holds for
   * the run's next write (finishesWithSteps), so that a later step changing the output in place cannot change the
   * record. A storage that stores JSON text writes this instead of encoding `output`; never set on records read back.
   */
  outputJson?: string;
  /** What the step changed in the state it saw (a branch's own copy inside a Parallel). Null when nothing changed. */
  stateDelta: StateDelta | null;
  attempts: number;
  startedAt: number;
  finishedAt: number;
}

export interface SessionRecord {
  sessionId: string;
  state: Record<string, unknown>;
  /** Incremented on every write; a write with a stale expected version is refused (StaleSessionStateError). */
  version: number;
  updatedAt: number;
}

export interface StoredEvent {
  runId: string;
  /** Per-run order, assigned by the engine (0, 1, 2, ...). */
  seq: number;
  type: string;
  stepPath?: string;
  time: number;
  data?: unknown;
}

/** A durable side effect, written in the same transaction as the step that decided it (exactly-once delivery). */
export interface OutboxMessage {
  /** Idempotency key, unique across the table: run id + step path (+ recipient). A second insert is a no-op. */
  key: string;
  /** What kind of effect; the app registers a deliverer per topic (e.g. `whatsapp.alert`). */
  topic: string;
  payload: unknown;
}

export type OutboxStatus = 'pending' | 'delivering' | 'delivered' | 'dead';

export interface OutboxRecord extends OutboxMessage {
  id: number;
  runId?: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  /** What the deliverer returned (e.g. the provider's message id). */
  result?: unknown;
  claimedBy?: string;
  claimExpiresAt?: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt?: number;
}

/** Written in one transaction when a step completes. */
export interface StepCommit {
  step: StepResultRecord;
  /** The session state after the step, when the step is on the run's main line (not inside a Parallel branch). */
  session?: { sessionId: string; state: Record<string, unknown>; expectedVersion: number };
  events?: StoredEvent[];
  outbox?: Array<OutboxMessage & { runId?: string }>;
  /**
   * Fencing: the lease owner the writer believes it is. When set, the commit is refused with LeaseLostError
   * (nothing written) unless `step.runId` is still leased to this owner.
   */
  leaseOwner?: string;
  /** Write-behind (see WriteChain): the run's chain of writes this commit belongs to. */
  chain?: WriteChain;
}

/**
 * Write-behind: a runner that does not wait for a synchronous step's commit before the next step (only with a
 * storage whose `writeBehind` is true) ties the run's writes together with one WriteChain. Such a storage applies
 * a chain's writes in the order they were asked for and, once one is refused (a stale session, a lost lease, a
 * full disk), refuses every later write of the chain with the same error without applying it — so a run never
 * has a later step on disk without an earlier one, and a session write predicted on a refused one never lands.
 */
export interface WriteChain {
  /** The error that refused a write of this chain; set by the storage. */
  refused?: unknown;
}

/** Written in one transaction when a run ends (or pauses). */
export interface RunFinish {
  runId: string;
  status: RunStatus;
  content?: unknown;
  error?: SerializedError;
  metrics?: Record<string, unknown>;
  pause?: RunRecord['pause'];
  session?: { sessionId: string; state: Record<string, unknown>; expectedVersion: number };
  events?: StoredEvent[];
  /** When `durability: 'exit'`: every step record of the run, written only now. */
  steps?: StepResultRecord[];
  /** Fencing, as in StepCommit: refused with LeaseLostError unless the run is still leased to this owner. */
  leaseOwner?: string;
  /** Write-behind: refused (unapplied) if an earlier write of the chain was refused. */
  chain?: WriteChain;
  now: number;
}

export interface RunFilter {
  status?: RunStatus;
  workflowName?: string;
  sessionId?: string;
  parentRunId?: string;
  /** Newest first. */
  limit?: number;
  offset?: number;
}

export interface PurgeOptions {
  /** Finished runs (and idle sessions) last updated before this instant (epoch ms) are deleted. */
  before: number;
  /** Which final statuses to purge (default: completed, error, cancelled). Running and paused runs are never purged. */
  statuses?: RunStatus[];
  /** Rows per batch, so a purge never holds a long lock (default 500). */
  batchSize?: number;
}

export interface PurgeCounts {
  runs: number;
  stepResults: number;
  events: number;
  sessions: number;
  outbox: number;
}

export interface Storage {
  /** Human-readable kind: 'memory' | 'sqlite' | 'postgres'. */
  readonly kind: string;
  /**
   * True if this storage honours WriteChain on commitStep and finishRun (writes applied in call order, the
   * rest of a chain refused after a refusal). The runner then lets a synchronous step's successor start before
   * the step's commit is flushed, so a run's consecutive synchronous steps share one transaction.
   */
  readonly writeBehind?: boolean;
  /**
   * True if finishRun writes `steps` (with their events) in the same transaction as the run's end, fenced like
   * commitStep. Without `writeBehind`, the runner may then hold a run's steps that settled without I/O and
   * write them with the run's end: one statement for a run that never waits on I/O.
   */
  readonly finishesWithSteps?: boolean;
  /**
   * True if claimOutbox takes only the first undelivered row of each conversation (`payload.conversationKey`)
   * and topic, leaving the rows behind it for a later claim (Postgres: several processes claim, and a
   * conversation's next row waits until the one before is delivered). A dispatcher then claims again as soon as
   * a claim found rows. False: a claim takes a conversation's due rows in order, up to the limit.
   */
  readonly claimsFirstOfEachConversation?: boolean;

  /**
   * Opens connections and applies pending migrations (numbered, in order, in a transaction, recorded,
   * guarded by a lock). Idempotent. Refuses a database whose schema is newer than the code, or a file that
   * is not a zapflow database, with a clear error.
   */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for readiness probes. */
  ping(): Promise<void>;

  // --- sessions (one per conversation) ---
  getSession(sessionId: string): Promise<SessionRecord | undefined>;
  /**
   * Writes the state if the stored version equals `expectedVersion` (0 = the session must not exist yet).
   * Returns the new version. Throws StaleSessionStateError otherwise: a stale write is never silently lost.
   */
  saveSession(sessionId: string, state: Record<string, unknown>, expectedVersion: number, now: number): Promise<number>;

  // --- runs ---
  /** Inserts a new run (status usually 'running', with its lease). Fails if the run id exists. */
  createRun(run: RunRecord): Promise<void>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  listRuns(filter: RunFilter): Promise<{ runs: RunRecord[]; total: number }>;
  /** One transaction: run status/content/error, optional session write, events, step records (exit durability). Returns the new session version if written. */
  finishRun(finish: RunFinish): Promise<{ sessionVersion?: number }>;
  /** Sets status back to 'running' from 'paused' with the resume data and a fresh lease. False if the run was not paused. */
  markResumed(runId: string, resumeData: unknown, leaseOwner: string, leaseExpiresAt: number, now: number): Promise<boolean>;

  // --- step results ---
  /** One transaction (see StepCommit). Returns the new session version when the session was written. */
  commitStep(commit: StepCommit): Promise<{ sessionVersion?: number }>;
  /**
   * Optional: several held commits of ONE run (in order, none with session state; see `finishesWithSteps`) in
   * one transaction, fenced once: all written or none. Without it the runner sends them one commitStep each.
   */
  commitHeldSteps?(commits: StepCommit[]): Promise<void>;
  getStepResults(runId: string): Promise<StepResultRecord[]>;

  // --- events ---
  appendEvents(events: StoredEvent[]): Promise<void>;
  getEvents(runId: string): Promise<StoredEvent[]>;

  // --- run leases (crash recovery) ---
  /** Extends the lease of every run this owner holds that is still running. Returns how many. */
  heartbeat(owner: string, leaseExpiresAt: number, now: number): Promise<number>;
  /**
   * Atomically claims up to `limit` runs with status 'running' whose lease expired before `now`
   * (Postgres: UPDATE … WHERE lease expired … RETURNING with SKIP LOCKED; SQLite: an immediate transaction).
   * Two processes calling this at once never get the same run. Each claimed run gets a new entry in `attempts`.
   */
  claimExpiredRuns(owner: string, leaseExpiresAt: number, now: number, limit: number): Promise<RunRecord[]>;

  // --- named leases (cron jobs, single-flight work across processes) ---
  /** True if `owner` now holds `name` until `expiresAt` (free, expired, or already its own). */
  tryAcquireLease(name: string, owner: string, expiresAt: number, now: number): Promise<boolean>;
  releaseLease(name: string, owner: string): Promise<void>;

  // --- sequences (protocol numbers) ---
  /**
   * Next value of the named counter (1, 2, 3, ...). With `idempotencyKey`, the same key always gets the same
   * value (a retried or resumed step never allocates a second protocol number).
   */
  nextSequenceValue(sequence: string, idempotencyKey?: string): Promise<number>;

  // --- outbox (exactly-once side effects) ---
  enqueueOutbox(messages: Array<OutboxMessage & { runId?: string }>, now: number): Promise<void>;
  /** Claims due rows (pending, or delivering with an expired claim) for `owner` until `claimExpiresAt`. */
  claimOutbox(owner: string, claimExpiresAt: number, now: number, limit: number, topics?: string[]): Promise<OutboxRecord[]>;
  markOutboxDelivered(id: number, owner: string, result: unknown, now: number): Promise<void>;
  /** Records a failed attempt: back to pending at `nextAttemptAt`, or `dead` when `dead` is true. */
  markOutboxFailed(id: number, owner: string, error: string, nextAttemptAt: number, dead: boolean, now: number): Promise<void>;
  /**
   * Moves the claim expiry of rows `owner` is still delivering (a heartbeat): claims can then be short, so rows
   * a killed process was delivering are taken over within seconds, not after the slowest delivery's bound.
   */
  extendOutboxClaims(owner: string, ids: number[], claimExpiresAt: number): Promise<void>;
  listOutbox(filter: { status?: OutboxStatus; runId?: string; limit?: number; offset?: number }): Promise<OutboxRecord[]>;
  /** How many rows have this status (metrics: outbox depth, dead letters) without reading them. */
  countOutbox(status: OutboxStatus): Promise<number>;
  getOutbox(id: number): Promise<OutboxRecord | undefined>;
  /** A dead (or pending) row becomes pending again, due now, attempts reset. False if unknown or delivered. */
  retryOutbox(id: number, now: number): Promise<boolean>;

  // --- retention (LGPD) ---
  /** Deletes finished runs with their steps, events and outbox rows, and sessions idle since before `before`, in batches. */
  purge(options: PurgeOptions): Promise<PurgeCounts>;
}
