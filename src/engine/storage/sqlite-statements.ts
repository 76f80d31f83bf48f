import type Database from 'better-sqlite3';
import { StorageUnavailableError } from '../errors.js';

/**
 * An open SQLite connection with its prepared statements, cached per SQL text (`{p}` is the table prefix):
 * preparing is the expensive part of a better-sqlite3 query, and each store runs a handful of texts all day.
 * Shared by the engine storage and the service tables.
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
      statement = this.db.prepare(text.replaceAll('{p}', this.prefix));
      this.statements.set(text, statement);
    }
    return statement;
  }
}
