/**
 * What session state may hold: values that come back from storage exactly as they were written. The engine
 * stores session state as JSON (SQLite text, Postgres jsonb), and JSON.stringify changes some values without a
 * word — a Date becomes a string, a Map or a Set `{}`, NaN and Infinity `null`, an `undefined` array slot
 * `null` — and refuses a BigInt with a bare message. We reject those at the step's commit (choice: reject
 * rather than a typed serializer, so that what a step reads after a reload is what any JSON reader of the
 * stored state sees, the admin API included).
 *
 * `undefined` as an object property is allowed: JSON leaves the property out, which reads back the same
 * (`obj.x === undefined`), and at the top level it deletes the key.
 */
import { SessionStateValueError } from '../errors.js';
import type { SessionState } from '../types.js';

/** Objects deeper than this are not walked (state is small; this bounds a pathological one). */
const MAX_DEPTH = 64;

interface Problem {
  at: string;
  found: string;
  advice: string;
}

function describe(value: unknown): Problem | undefined {
  if (value instanceof Date) return { at: '', found: 'a Date', advice: 'It would come back as a string; store date.toISOString() or date.getTime().' };
  if (value instanceof Map) return { at: '', found: 'a Map', advice: 'It would come back as {}; store Object.fromEntries(map) or an array of [key, value] pairs.' };
  if (value instanceof Set) return { at: '', found: 'a Set', advice: 'It would come back as {}; store [...set].' };
  if (typeof value === 'bigint') return { at: '', found: 'a BigInt', advice: 'JSON cannot write it; store value.toString().' };
  if (typeof value === 'number' && !Number.isFinite(value)) return { at: '', found: String(value), advice: 'It would come back as null; store null or a string.' };
  if (typeof value === 'function' || typeof value === 'symbol') return { at: '', found: `a ${typeof value}`, advice: 'It would be dropped; store data only.' };
  return undefined;
}

function findProblem(value: unknown, at: string, depth: number, seen: Set<object>): Problem | undefined {
  const own = describe(value);
  if (own) return { ...own, at };
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return undefined;
  if (seen.has(value)) return { at, found: 'a circular reference', advice: 'JSON cannot write it; store a copy without the cycle.' };
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined) return { at: `${at}[${i}]`, found: 'undefined in an array', advice: 'It would come back as null; store null or remove the item.' };
        const problem = findProblem(item, `${at}[${i}]`, depth + 1, seen);
        if (problem) return problem;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return { at, found: `an instance of ${typeof name === 'string' && name ? name : 'a class'}`, advice: 'It would come back as a plain object without its methods; store a plain object.' };
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = findProblem(item, `${at}.${key}`, depth + 1, seen);
      if (problem) return problem;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

/**
 * True if findProblem would find nothing in `value`: the same rules in the same order, without building a path
 * string, an entries array and a problem object for every value it passes. Every step's commit walks the whole
 * state, and those allocations made the walk the largest part of a step's state bookkeeping; findProblem runs
 * only once this says there is something to name.
 */
function isJsonSafe(value: unknown, depth: number, path: Set<object>): boolean {
  if (typeof value !== 'object') {
    if (typeof value === 'number') return Number.isFinite(value);
    return typeof value !== 'bigint' && typeof value !== 'function' && typeof value !== 'symbol';
  }
  if (value instanceof Date || value instanceof Map || value instanceof Set) return false;
  if (value === null || depth > MAX_DEPTH) return true;
  if (path.has(value)) return false;
  const isArray = Array.isArray(value);
  if (!isArray) {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
  }
  path.add(value);
  try {
    if (isArray) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (item === undefined || !isJsonSafe(item, depth + 1, path)) return false;
      }
      return true;
    }
    for (const key in value) {
      if (Object.prototype.hasOwnProperty.call(value, key) && !isJsonSafe((value as Record<string, unknown>)[key], depth + 1, path)) return false;
    }
    return true;
  } finally {
    path.delete(value);
  }
}

/** The objects isJsonSafe is inside: shared, since a walk is synchronous and removes what it adds. */
const walkPath = new Set<object>();

/** @throws SessionStateValueError naming the step, the key and where in it, for the first value JSON cannot keep. */
export function assertJsonSafeState(state: SessionState, stepName: string): void {
  for (const key of Object.keys(state)) {
    const value = state[key];
    if (value === undefined || isJsonSafe(value, 0, walkPath)) continue;
    const problem = findProblem(value, key, 0, new Set());
    if (problem) throw new SessionStateValueError(stepName, key, problem.at, problem.found, problem.advice);
  }
}
