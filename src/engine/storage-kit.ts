/**
 * The storage toolkit the service's own stores share with the engine's (src/conversations/store, src/people):
 * connection setup, JSON columns, identifiers and numbered migrations, so every table of the service is
 * opened, encoded and migrated the same way as the engine's. An internal entry point beside ./index.ts (not
 * in the package's exports): outside src/engine, code imports the engine through these two files only.
 */
export { assertIdentifier, compact, decodeJson, encodeJson } from './storage/serialize.js';
export { openSqlite } from './storage/sqlite-open.js';
export { SqliteConnection } from './storage/sqlite-statements.js';
export { SqliteGroupCommit } from './storage/sqlite-group-commit.js';
export type { SharedSqlite } from './storage/sqlite.js';
export { checkOut, ownedPool, pgDriver, PG_RAW_TYPES } from './storage/pg-types.js';
export { connectWithRetry } from './storage/postgres-migrate.js';
export { loadMigrationsFrom, pendingMigrations, renderMigration } from './storage/migrate.js';
export type { Migration } from './storage/migrate.js';
