import type Database from 'better-sqlite3';
import { StorageUnavailableError } from '../errors.js';

/**
 * Every `?` of a statement as `+?` (quoted text and comments untouched). The SQLite better-sqlite3 bundles
 * (3.54) plans some statements with the values bound to them — a `LIMIT ?`, or `col = ?` in a query planned
 * for an ORDER BY — and then marks the statement to be prepared again whenever such a parameter is bound,
 * which better-sqlite3 does on every call: each execution paid a full prepare (~6 µs alone, 35–45 µs inside
 * a turn; bench/README.md). SQLite does not look at the value behind a unary `+` (`sqlite3ExprIsInteger` stops
 * there; measured for both kinds), and `+` is a no-op on a value: same result, same affinity, and the plans stay
 * the ones these statements were written for (test/unit/engine/sqlite-pinned-parameters.test.ts compares them).
 */
export function pinParameters(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const quote = char === "'" || char === '"' ? char : undefined;
    const comment = sql.startsWith('--', i) ? '\n' : sql.startsWith('/*', i) ? '*/' : undefined;
    if (quote || comment) {
      // Copy the literal (a doubled quote stays inside it) or comment through its end, untouched.
      const closing = quote ?? comment!;
      let end = sql.indexOf(closing, i + (quote ? 1 : 2));
      while (quote && end !== -1 && sql[end + 1] === quote) end = sql.indexOf(quote, end + 2);
      const stop = end === -1 ? sql.length : end + closing.length;
      out += sql.slice(i, stop);
      i = stop;
    } else {
      out += char === '?' ? '+?' : char;
      i += 1;
    }
  }
  return out;
}

/**
 * An open SQLite connection with its prepared statements, cached per SQL text (`{p}` is the table prefix):
 * preparing is the expensive part of a better-sqlite3 query, and each store runs a handful of texts all day.
 * Shared by the engine storage and the service tables. Parameters are pinned (pinParameters): a cached
 * statement must stay prepared.
 */
export class SqliteConnection {
  private database: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    /** For the error when used before init() or after close(): `SqliteStorage(./data/zapflow.db)`. */
    private readonly label: string,
    private readonly prefix: string,
  ) {}

  get isOpen(): boolean {
    return this.database !== undefined;
  }

  open(database: Database.Database): void {
    this.database = database;
  }

  close(): void {
    this.statements.clear();
    this.database?.close();
    this.database = undefined;
  }

  get db(): Database.Database {
    if (!this.database) throw new StorageUnavailableError(`${this.label} is not open: call init() first (or it was closed).`);
    return this.database;
  }

  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(pinParameters(text.replaceAll('{p}', this.prefix)));
      this.statements.set(text, statement);
    }
    return statement;
  }
}
