/**
 * MemoryStorage keeps values the cheap way (plain values as they are, small flat objects as private copies,
 * the rest as JSON text) — and must behave exactly like the SQL stores' JSON round trip: same result, same
 * errors, and callers can never mutate what is stored through a reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepValue, restoreValue } from '../../../src/engine/storage/memory-values.js';

const jsonRoundTrip = (value: unknown): unknown => {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
};

function outcome(run: () => unknown): { value?: unknown; error?: string } {
  try {
    return { value: run() };
  } catch (error) {
    return { error: (error as Error).constructor.name };
  }
}

function expectSameAsJson(value: unknown): void {
  const json = outcome(() => jsonRoundTrip(value));
  const kept = outcome(() => restoreValue(keepValue(value)));
  expect(kept.error).toBe(json.error);
  if (json.error) return;
  expect(JSON.stringify(kept.value)).toBe(JSON.stringify(json.value));
  if (typeof json.value === 'number') expect(Object.is(kept.value, json.value)).toBe(true);
  if (json.value && typeof json.value === 'object') {
    expect(Object.keys(kept.value as object)).toEqual(Object.keys(json.value));
    expect(Object.getPrototypeOf(kept.value)).toBe(Object.getPrototypeOf(json.value));
    // Isolation: mutating what was read, or the original, never changes what is stored.
    const stored = keepValue(value);
    const firstRead = restoreValue(stored) as Record<string, unknown>;
    for (const key of Object.keys(firstRead)) firstRead[key] = 'changed';
    if (value && typeof value === 'object') for (const key of Object.keys(value)) try { (value as Record<string, unknown>)[key] = 'changed'; } catch { /* frozen */ }
    expect(JSON.stringify(restoreValue(stored))).toBe(JSON.stringify(json.value));
    expect(restoreValue(stored)).not.toBe(restoreValue(stored));
  }
}

const scalar = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant(-0), fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY));
const flat = fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('__proto__', '1', '0', '10', 'toJSON', 'constructor')), scalar);

describe('MemoryStorage value keeping', () => {
  it('equals a JSON round trip for any value, and stored values cannot be changed through references', () => {
    fc.assert(fc.property(fc.oneof(scalar, flat, fc.jsonValue(), fc.array(scalar), fc.date(), fc.object()), (value) => expectSameAsJson(value)), { numRuns: 3000 });
  });

  it('handles what JSON handles specially: BigInt, functions, symbols, toJSON, null prototypes, getters, cycles', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    const specials: unknown[] = [
      1n, { a: 1n }, () => 1, { f: () => 1 }, Symbol('x'), { s: Symbol('x') }, { toJSON: () => 'hi' }, Object.create(null),
      Object.assign(Object.create(null) as object, { a: 1, b: 'x' }), { get g() { return 5; } }, new Date(0), { d: new Date(0) },
      { u: undefined, v: 1 }, [undefined], JSON.parse('{"__proto__": 1}'), { b: 1, 2: 'two', a: 'x', 1: null }, cycle,
    ];
    for (const value of specials) expectSameAsJson(value);
  });
});
