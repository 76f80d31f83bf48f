/**
 * A JSON value as MemoryStorage keeps it. Most values go through JSON.stringify once, on write, and are parsed
 * on read. The small values every run and step writes (a number, `{ content: 3 }`, `{ message: 'oi' }`, the
 * run metrics) skip the text: a number, boolean or null is kept as it is, and a flat plain object of such
 * values and strings is kept as a private copy. Both give back exactly what the JSON round trip would (the
 * same keys in the same order, the same numbers), and a read always returns a fresh object.
 */

type Scalar = string | number | boolean | null;
/**
 * JSON text (typeof 'string'), a scalar other than a string, or a flat object copy (never handed out:
 * restoreValue copies it again); undefined = absent.
 */
export type Kept = string | number | boolean | null | FlatCopy | undefined;
type FlatCopy = Readonly<Record<string, Scalar>>;

/** A number JSON would write differently (NaN and ±Infinity become null, -0 becomes 0) takes the text path. */
const isPlainScalar = (value: unknown): value is number | boolean | null =>
  value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0));

export function keepValue(value: unknown): Kept {
  if (value === undefined) return undefined;
  if (isPlainScalar(value)) return value;
  if (typeof value === 'object') {
    const flat = flatCopy(value);
    if (flat !== undefined) return flat;
  }
  // Also throws what JSON.stringify throws (a BigInt, a cycle) and gives undefined for a function.
  return JSON.stringify(value) as string | undefined;
}

export function restoreValue<T = unknown>(kept: Kept): T | undefined {
  if (typeof kept === 'string') return JSON.parse(kept) as T;
  if (typeof kept === 'object' && kept !== null) return { ...kept } as T;
  return kept as T | undefined;
}

/**
 * The copy of a plain object whose own values are all strings, plain numbers, booleans or null; undefined for
 * anything JSON would treat specially (another prototype, a toJSON method, nesting, undefined values that JSON
 * drops, a `__proto__` key that a plain assignment would not copy).
 */
function flatCopy(value: object): FlatCopy | undefined {
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  const fields: Record<string, Scalar> = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key === '__proto__') return undefined;
    const field = (value as Record<string, unknown>)[key];
    if (typeof field === 'string' || isPlainScalar(field)) {
      fields[key] = field;
    } else {
      return undefined;
    }
  }
  return fields;
}
