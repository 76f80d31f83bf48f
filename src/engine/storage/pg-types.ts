import pg from 'pg';

const JSON_OID = 114;
const INT8_OID = 20;

/**
 * Per-query type parsing (so a caller's own pool keeps its settings): `json` comes back as text, which we
 * parse ourselves so JSON `null` and SQL NULL stay different; bigint (epoch ms, ids, counts) as a number.
 * Shared by the engine storage and the service tables.
 */
export const PG_RAW_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === JSON_OID ? (text: string) => text : oid === INT8_OID ? (text: string) => Number(text) : pg.types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

/**
 * A pool this code owns: bounded connect time, and an idle client whose server went away does not kill the
 * process (pg emits 'error' on the pool; the next query fails or reconnects instead, and ping() reports
 * not-ready). Shared by the engine storage and the service tables.
 */
export function ownedPool(connectionString: string | undefined, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: Math.max(1, max), connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  return pool;
}
