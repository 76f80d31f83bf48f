/**
 * Every error the engine throws, in one file, each with a stable `code` (for logs, APIs and tests), a
 * message that says what to do, and the original `cause` kept (DBOS Transact's habit).
 */

export class ZapflowError extends Error {
  /** Stable, machine-readable code. Never change one: admins' tools and alerts match on it. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

// --- storage ---

/** A session write found a newer version than the one the run loaded: another writer got there first. */
export class StaleSessionStateError extends ZapflowError {
  constructor(
    readonly sessionId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      'STALE_SESSION_STATE',
      `Session "${sessionId}" was changed by another writer (expected version ${expectedVersion}, found ${actualVersion ?? 'none'}); the write was refused so no update is lost. Re-run on the fresh state.`,
      options,
    );
  }
}

/**
 * Fencing: this process no longer holds the run's lease (it was paused or cut off past the lease, and another
 * process took the run over). Its step commit or finish was refused, so nothing it decided is written.
 */
export class LeaseLostError extends ZapflowError {
  constructor(readonly runId: string, readonly owner: string, options?: { cause?: unknown }) {
    super('LEASE_LOST', `Run "${runId}" is no longer leased to "${owner}": another process took it over, so this process's write was refused. Nothing to do: the new holder continues the run.`, options);
  }
}

/** The database file or schema is not one zapflow can use. */
export class StorageSchemaError extends ZapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_SCHEMA', message, options);
  }
}

/** The database could not be reached (after retries). The process reports not-ready instead of crashing. */
export class StorageUnavailableError extends ZapflowError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORAGE_UNAVAILABLE', message, options);
  }
}

/** `createRun` with a run id that storage already has (run ids are unique; a retried create must not fork a run). */
export class DuplicateRunError extends ZapflowError {
  constructor(readonly runId: string) {
    super('RUN_EXISTS', `Run "${runId}" already exists; run ids are unique. Create the run with a new id, or load the existing one.`);
  }
}

/** Looked up a run id that storage does not have. */
export class RunNotFoundError extends ZapflowError {
  constructor(readonly runId: string, options?: { cause?: unknown }) {
    super('RUN_NOT_FOUND', `Run "${runId}" does not exist (purged by retention, or never created).`, options);
  }
}

// --- workflow definitions and runs (the runner) ---

/** A workflow or step definition is invalid. Thrown at construction, naming the step, so a bad definition never starts a run. */
export class InvalidDefinitionError extends ZapflowError {
  constructor(readonly stepName: string | undefined, message: string) {
    super('INVALID_DEFINITION', stepName === undefined ? message : `Step "${stepName}": ${message}`);
  }
}

/** An option passed to run(), rerun(), purge() or the Engine is invalid. */
export class InvalidOptionError extends ZapflowError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/** A step failed on its last attempt. `cause` is what the step threw (the last attempt's error). */
export class StepFailedError extends ZapflowError {
  constructor(
    readonly stepName: string,
    readonly stepPath: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'STEP_FAILED',
      `Step "${stepPath}" failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}. See \`cause\`; raise maxRetries or set skipOnFailure if the failure is transient or optional.`,
      { cause },
    );
  }
}

/**
 * A step left a value in the session state that JSON cannot keep as it is (a Date, Map, Set, BigInt, NaN,
 * a class instance…): it would come back changed after a reload, or not at all. Raised at the step's commit,
 * naming the key, where inside it, and the step, so the workflow author fixes the value, not a later reader.
 */
export class SessionStateValueError extends ZapflowError {
  constructor(
    readonly stepName: string,
    readonly key: string,
    readonly at: string,
    readonly found: string,
    readonly advice: string,
  ) {
    super(
      'SESSION_STATE_NOT_JSON',
      `Step "${stepName}" set session state key "${key}" to a value JSON cannot keep: ${found} at ${at}. ${advice} ` +
        'Session state is stored as JSON: use strings, finite numbers, booleans, null, arrays and plain objects.',
    );
  }
}

/**
 * The session state loaded for a run does not match the workflow's `sessionStateSchema` (a hand-edited row, a
 * workflow whose state changed shape without a migration). The run does not start on state its steps would
 * misread; the message says which workflow and session, the cause has the schema's own report.
 */
export class SessionStateSchemaError extends ZapflowError {
  constructor(readonly workflowName: string, readonly sessionId: string, cause: unknown) {
    super(
      'SESSION_STATE_INVALID',
      `Workflow "${workflowName}": the session state of "${sessionId}" does not match its sessionStateSchema: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/** One attempt of a step ran longer than its `timeoutMs`; the attempt's signal was aborted with this error. */
export class StepTimeoutError extends ZapflowError {
  constructor(
    readonly stepPath: string,
    readonly timeoutMs: number,
  ) {
    super('STEP_TIMEOUT', `Step "${stepPath}" did not finish within ${timeoutMs} ms; its signal was aborted. Raise timeoutMs or make the step honour input.signal sooner.`);
  }
}

/** A Router's evaluator chose a route the Router does not have. */
export class UnknownRouteError extends ZapflowError {
  constructor(
    readonly routerPath: string,
    readonly route: string,
    readonly validRoutes: readonly string[],
  ) {
    super('ROUTER_UNKNOWN_ROUTE', `Router "${routerPath}" got route "${route}" from its evaluator, but its routes are: ${validRoutes.map((r) => `"${r}"`).join(', ')}. Return one of those keys (or one of the routes' steps).`);
  }
}

/** The run was cancelled (run.cancel(), wf.cancel(runId) or the caller's AbortSignal). */
export class RunCancelledError extends ZapflowError {
  constructor(readonly runId: string, reason?: unknown) {
    const why = reason instanceof Error ? reason.message : reason === undefined ? 'cancel requested' : String(reason);
    super('RUN_CANCELLED', `Run "${runId}" was cancelled (${why}).`, reason instanceof Error ? { cause: reason } : undefined);
  }
}

/** wf.resume(runId, data) on a run that is not paused. */
export class RunNotPausedError extends ZapflowError {
  constructor(readonly runId: string, readonly status: string) {
    super('RUN_NOT_PAUSED', `Run "${runId}" is ${status}, not paused, so there is nothing to resume. Only a run whose step paused it (status "paused") can be resumed.`);
  }
}

/** wf.rerun(runId, { fromStep }) named a step the workflow does not have. */
export class UnknownStepError extends ZapflowError {
  constructor(
    readonly workflowName: string,
    readonly stepName: string,
    readonly validSteps: readonly string[],
  ) {
    super('UNKNOWN_STEP', `Workflow "${workflowName}" has no top-level step "${stepName}". Valid steps: ${validSteps.map((s) => `"${s}"`).join(', ')}.`);
  }
}

/** A run id was given to a workflow that did not create it. */
export class WorkflowMismatchError extends ZapflowError {
  constructor(readonly runId: string, readonly expected: string, readonly actual: string) {
    super('WORKFLOW_MISMATCH', `Run "${runId}" belongs to workflow "${actual}", not "${expected}". Use the "${actual}" workflow (or the Engine) to act on it.`);
  }
}

/** Recovery found a run of a workflow this Engine does not register. */
export class WorkflowNotRegisteredError extends ZapflowError {
  constructor(readonly workflowName: string, readonly known: readonly string[]) {
    super('WORKFLOW_NOT_REGISTERED', `No workflow named "${workflowName}" is registered with this Engine (registered: ${known.map((k) => `"${k}"`).join(', ') || 'none'}). Register it in new Engine({ workflows }).`);
  }
}

/** The run is already executing in this process (a second resume would run its steps twice). */
export class RunAlreadyActiveError extends ZapflowError {
  constructor(readonly runId: string) {
    super('RUN_ACTIVE', `Run "${runId}" is already executing in this process; wait for it (or cancel it) before resuming it again.`);
  }
}
