/**
 * Session-state bookkeeping without a deep clone per step. A fingerprint is the JSON text of each top-level
 * key; comparing the fingerprint before and after a step gives its shallow delta (what it set or deleted),
 * which is what a step's record stores and what a resume replays. Nested mutation (`state.items.push(x)`) is
 * caught because values are compared by their JSON, not by reference. The empty state costs nothing.
 *
 * Fingerprints are never mutated once built: a Parallel's branches share their base fingerprint safely.
 */
import type { StateDelta } from '../storage/types.js';
import type { SessionState } from '../types.js';

export type Fingerprint = ReadonlyMap<string, string>;

export const EMPTY_FINGERPRINT: Fingerprint = new Map();

export function fingerprintOf(state: SessionState): Fingerprint {
  let fingerprint: Map<string, string> | undefined;
  for (const key of Object.keys(state)) {
    const json = JSON.stringify(state[key]);
    if (json === undefined) continue; // undefined and functions are not stored: the key is absent
    (fingerprint ??= new Map()).set(key, json);
  }
  return fingerprint ?? EMPTY_FINGERPRINT;
}

/** What changed from `before` to `after`; null when nothing did. Values are fresh copies (safe to store later). */
export function diffFingerprints(before: Fingerprint, after: Fingerprint): StateDelta | null {
  if (before.size === 0 && after.size === 0) return null;
  let set: Record<string, unknown> | undefined;
  let deleted: string[] | undefined;
  for (const [key, json] of after) {
    if (before.get(key) !== json) (set ??= {})[key] = JSON.parse(json);
  }
  for (const key of before.keys()) {
    if (!after.has(key)) (deleted ??= []).push(key);
  }
  return set === undefined && deleted === undefined ? null : { set: set ?? {}, deleted: deleted ?? [] };
}

/** Applies a recorded delta to `state` and returns the matching fingerprint. */
export function applyDelta(state: SessionState, fingerprint: Fingerprint, delta: StateDelta | null): Fingerprint {
  if (delta === null) return fingerprint;
  const next = new Map(fingerprint);
  for (const [key, value] of Object.entries(delta.set)) {
    state[key] = value;
    const json = JSON.stringify(value);
    if (json === undefined) next.delete(key);
    else next.set(key, json);
  }
  for (const key of delta.deleted) {
    delete state[key];
    next.delete(key);
  }
  return next;
}

/** Puts `state` back to what `fingerprint` describes (a failed attempt must not leave half its changes behind). */
export function restoreState(state: SessionState, fingerprint: Fingerprint): void {
  for (const key of Object.keys(state)) {
    const before = fingerprint.get(key);
    if (before === undefined) delete state[key];
    else if (JSON.stringify(state[key]) !== before) state[key] = JSON.parse(before);
  }
  for (const [key, json] of fingerprint) {
    if (!(key in state)) state[key] = JSON.parse(json);
  }
}

/** A private copy of the state a fingerprint describes (a Parallel branch's isolated state). */
export function stateFromFingerprint(fingerprint: Fingerprint): SessionState {
  const state: SessionState = {};
  for (const [key, json] of fingerprint) state[key] = JSON.parse(json);
  return state;
}
