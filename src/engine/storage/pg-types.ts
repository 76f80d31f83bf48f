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
  // Every client of the pool, for its whole life: a backend terminated while the client is out of the pool and
  // between two queries (pg-pool listens only while it is idle, checkOut only while we hold it) delivers its
  // FATAL as an 'error' event, and an EventEmitter without a listener ends the process. The connection is
  // dead either way: the next query on it fails (and is retried on another), and pg-pool discards it.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** A client taken from a pool for a transaction; `release()` gives it back (or discards it if its connection died). */
export interface CheckedOutClient {
  readonly client: pg.PoolClient;
  /** `discard`: an error after which the connection must not be pooled again (it is, too, when it died). */
  release(discard?: Error): void;
}

/**
 * `pool.connect()` with an 'error' listener for as long as the client is checked out. The pool listens for
 * errors on idle clients only: a checked-out client whose backend is terminated (`pg_terminate_backend`, a
 * failover, an idle-timeout proxy) emits 'error', and an EventEmitter without a listener ends the process.
 * Here the query under way fails instead (the caller retries), and the dead client is not put back.
 */
export async function checkOut(pool: pg.Pool): Promise<CheckedOutClient> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  let released = false;
  return {
    client,
    release(discard) {
      if (released) return;
      released = true;
      client.off('error', onError);
      client.release(lost ?? discard);
    },
  };
}

/** SQLSTATEs and driver messages of a connection that went away (the work can be retried on another one). */
export function isConnectionLoss(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === 'ECONNRESET' || code === 'EPIPE')) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|terminating connection|Client has encountered a connection error|Connection ended/i.test(message);
}
