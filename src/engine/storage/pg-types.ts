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
