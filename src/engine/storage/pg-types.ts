import { createRequire } from 'node:module';
import type pg from 'pg';

/**
 * The `pg` driver, loaded on first use: importing the engine (`zapflow/engine`) must not load database drivers
 * a workflow on MemoryStorage or SQLite never touches.
 */
let driver: typeof pg | undefined;
export function pgDriver(): typeof pg {
  return (driver ??= createRequire(import.meta.url)('pg') as typeof pg);
}

const JSON_OID = 114;
const INT8_OID = 20;

/**
 * Per-query type parsing (so a caller's own pool keeps its settings): `json` comes back as text, which we
 * parse ourselves so JSON `null` and SQL NULL stay different; bigint (epoch ms, ids, counts) as a number.
 * Shared by the engine storage and the service tables.
 */
export const PG_RAW_TYPES = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === JSON_OID ? (text: string) => text : oid === INT8_OID ? (text: string) => Number(text) : pgDriver().types.getTypeParser(oid, format),
} as pg.CustomTypesConfig;

/**
 * A pool this code owns: bounded connect time, and an idle client whose server went away does not kill the
 * process (pg emits 'error' on the pool; the next query fails or reconnects instead, and ping() reports
 * not-ready). Shared by the engine storage and the service tables.
 */
export function ownedPool(connectionString: string | undefined, max: number): pg.Pool {
  const pool = new (pgDriver().Pool)({ connectionString, max: Math.max(1, max), connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  return pool;
}
