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
  ) {
    super(
      'STALE_SESSION_STATE',
      `Session "${sessionId}" was changed by another writer (expected version ${expectedVersion}, found ${actualVersion ?? 'none'}); the write was refused so no update is lost. Re-run on the fresh state.`,
    );
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

/** Looked up a run id that storage does not have. */
export class RunNotFoundError extends ZapflowError {
  constructor(readonly runId: string) {
    super('RUN_NOT_FOUND', `Run "${runId}" does not exist (purged by retention, or never created).`);
  }
}
