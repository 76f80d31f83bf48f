/**
 * JSON encoding shared by every storage, so all three give back exactly the same values: what a SQL column
 * returns is what the in-memory store returns (undefined keys dropped, `undefined` ≠ `null`).
 */
import { FINAL_RUN_STATUSES } from './types.js';
import type { RunStatus } from './types.js';

/** SQL NULL for `undefined` (absent), JSON text otherwise — `null` stays the JSON value `null`. */
export function encodeJson(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(value);
}

/** Inverse of encodeJson: SQL NULL → undefined. */
export function decodeJson<T = unknown>(text: string | null | undefined): T | undefined {
  if (text === null || text === undefined) return undefined;
  return JSON.parse(text) as T;
}

/** A deep copy through JSON: what a caller stores can't be changed behind storage's back (and vice versa). */
export function cloneJson<T>(value: T): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Drops keys whose value is undefined, so records compare equal across storages. */
export function compact<T extends object>(record: T): T {
  for (const key of Object.keys(record) as Array<keyof T>) {
    if (record[key] === undefined) delete record[key];
  }
  return record;
}

/**
 * Table prefixes and schema names are spliced into SQL text (identifiers can't be bind parameters), so only
 * plain identifiers are accepted.
 */
export function assertIdentifier(what: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(value)) {
    throw new TypeError(`${what} "${value}" is not a plain SQL identifier: use letters, digits and "_" (max 41 characters), starting with a letter or "_".`);
  }
  return value;
}

/** `purge` only ever touches final statuses, whatever the caller asked for. */
export function purgeableStatuses(requested: RunStatus[] | undefined): RunStatus[] {
  const wanted = requested ?? FINAL_RUN_STATUSES;
  return FINAL_RUN_STATUSES.filter((status) => wanted.includes(status));
}

export const DEFAULT_PURGE_BATCH = 500;
export const DEFAULT_LIST_LIMIT = 100;
