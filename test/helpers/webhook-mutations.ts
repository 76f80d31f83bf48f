/**
 * fast-check arbitraries for fuzzing the webhook receivers: real fixture bodies damaged at the byte level
 * (bit flips, truncation, inserted junk) and at the JSON level (fields deleted or replaced by values of
 * other types), plain random bytes/JSON, deep nesting, and random extra headers.
 */
import fc from 'fast-check';

/** Every path (object keys, array indexes) in a JSON value, breadth-first, capped. */
export function jsonPaths(root: unknown, limit = 400): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const queue: Array<{ value: unknown; path: Array<string | number> }> = [{ value: root, path: [] }];
  while (queue.length > 0 && out.length < limit) {
    const { value, path } = queue.shift() as { value: unknown; path: Array<string | number> };
    if (typeof value !== 'object' || value === null) continue;
    const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, child] of entries) {
      out.push([...path, key]);
      queue.push({ value: child, path: [...path, key] });
    }
  }
  return out;
}

export type JsonEdit = { pathIndex: number; op: 'delete' } | { pathIndex: number; op: 'replace'; value: unknown };

/** Applies edits to a deep copy; a path index picks among the document's paths (modulo their count). */
export function applyJsonEdits(document: unknown, edits: JsonEdit[]): unknown {
  const copy: unknown = structuredClone(document);
  for (const edit of edits) {
    const paths = jsonPaths(copy);
    if (paths.length === 0) return copy;
    const path = paths[edit.pathIndex % paths.length] ?? [];
    let parent: unknown = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[key];
    const last = path[path.length - 1];
    if (typeof parent !== 'object' || parent === null || last === undefined) continue;
    if (edit.op === 'delete') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete (parent as Record<string | number, unknown>)[last];
    } else {
      (parent as Record<string | number, unknown>)[last] = edit.value;
    }
  }
  return copy;
}

const jsonEditArb: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ pathIndex: fc.nat(), op: fc.constant('delete' as const) }),
  fc.record({
    pathIndex: fc.nat(),
    op: fc.constant('replace' as const),
    // Type changes: strings, numbers, booleans, null, arrays, objects, and look-alike ids.
    value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', ' ', 'text', 'messages', 'status@broadcast', '120363@g.us', '1@lid', -1, 1e308)),
  }),
);

/** Damage done to a fixture's raw bytes. */
export type ByteDamage = (bytes: Buffer) => Buffer;

export const byteDamageArb: fc.Arbitrary<ByteDamage> = fc.oneof(
  fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }): ByteDamage => (bytes) => {
    const copy = Buffer.from(bytes);
    if (copy.length > 0) copy[at % copy.length] = (copy[at % copy.length] ?? 0) ^ (1 << bit);
    return copy;
  }),
  fc.nat().map((cut): ByteDamage => (bytes) => bytes.subarray(0, bytes.length === 0 ? 0 : cut % bytes.length)),
  fc.record({ at: fc.nat(), junk: fc.uint8Array({ minLength: 1, maxLength: 16 }) }).map(({ at, junk }): ByteDamage => (bytes) => {
    const position = bytes.length === 0 ? 0 : at % bytes.length;
    return Buffer.concat([bytes.subarray(0, position), Buffer.from(junk), bytes.subarray(position)]);
  }),
);

/** A body derived from one of `fixtures` (raw bytes), or made up. `serialize` writes edited JSON back. */
export function bodyArb(fixtures: Buffer[], serialize: (value: unknown) => string, envelope: (junk: unknown) => unknown): fc.Arbitrary<{ how: string; body: Buffer }> {
  const fixture = fc.constantFrom(...fixtures);
  const documents = fixtures.flatMap((bytes) => {
    try {
      const document: unknown = JSON.parse(bytes.toString('utf8'));
      structuredClone(document); // throws for the 10,000-level fixture, which is sent as is instead
      return [document];
    } catch {
      return []; // truncated, garbage or too deep to edit: byte-level damage only
    }
  });
  return fc.oneof(
    { weight: 2, arbitrary: fixture.map((body) => ({ how: 'fixture', body })) },
    { weight: 3, arbitrary: fc.tuple(fixture, byteDamageArb).map(([body, damage]) => ({ how: 'bytes', body: damage(body) })) },
    {
      weight: 6,
      arbitrary: fc.tuple(fc.constantFrom(...documents), fc.array(jsonEditArb, { minLength: 1, maxLength: 3 })).map(([document, edits]) => ({
        how: 'json-edit',
        body: Buffer.from(serialize(applyJsonEdits(document, edits)) ?? 'null', 'utf8'),
      })),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ how: 'random-bytes', body: Buffer.from(bytes) })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ how: 'random-json', body: Buffer.from(JSON.stringify(value) ?? 'null') })) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((junk) => ({ how: 'envelope-junk', body: Buffer.from(serialize(envelope(junk))) })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 100, max: 30_000 }).map((depth) => ({ how: 'deep', body: Buffer.from(`${'{"x":['.repeat(depth)}1${']}'.repeat(depth)}`) })),
    },
  );
}

const headerToken = fc.stringMatching(/^x-[a-z0-9-]{1,16}$/);
const headerValue = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/);

/** Extra headers a misbehaving client might send; the receiver must still answer 2xx/4xx. */
export const extraHeadersArb: fc.Arbitrary<Record<string, string>> = fc
  .record({
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data'),
    // Rare on purpose: every non-identity encoding is refused before the body is read.
    contentEncoding: fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom('identity', 'gzip', 'deflate', 'br', 'x-unknown') },
    ),
    random: fc.dictionary(headerToken, headerValue, { maxKeys: 3 }),
  })
  .map(({ contentType, contentEncoding, random }) => ({
    ...random,
    'content-type': contentType,
    ...(contentEncoding !== null && { 'content-encoding': contentEncoding }),
  }));

/** Whether headers ask for a content encoding the receivers refuse (415). */
export function hasRefusedEncoding(headers: Record<string, string>): boolean {
  const encoding = headers['content-encoding'];
  return encoding !== undefined && encoding !== 'identity';
}
