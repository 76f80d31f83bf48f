/**
 * The admin API shows times as ISO 8601 strings in UTC (`2026-12-07T01:21:00.000Z`), not epoch milliseconds:
 * people read these answers. Storage and the engine keep epoch ms; the conversion happens here, once, on the
 * way out, for every field whose name says it is a time (`…At`, `…Since`, `at`, `time`).
 */
const TIME_FIELD = /(At|Since)$|^(at|time)$/;
/** Epoch ms from 2001 to 2286: a smaller number in a time field is a count or a duration, not a time. */
const isEpochMillis = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1e12 && value < 1e13;

export function withIsoTimestamps<T>(value: T): T {
  return convert(value) as T;
}

function convert(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(convert);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = TIME_FIELD.test(key) && isEpochMillis(field) ? new Date(field).toISOString() : convert(field);
  }
  return out;
}
