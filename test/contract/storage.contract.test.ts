/**
 * The Storage contract: every implementation (memory, SQLite, Postgres) passes this one suite. A new backend
 * is done when it does. Postgres is a real server (test/helpers/global-setup.ts), one schema per file.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import type { Storage } from '../../src/engine/storage/types.js';
import { memoryBackend, postgresBackend, sqliteBackend } from './backends.js';
import type { TestDatabase } from './backends.js';
import type { ContractContext } from './cases/context.js';
import { leaseCases } from './cases/leases.js';
import { migrationCases } from './cases/migrations.js';
import { outboxCases } from './cases/outbox.js';
import { purgeCases } from './cases/purge.js';
import { runCases } from './cases/runs.js';
import { sequenceCases } from './cases/sequences.js';
import { sessionCases } from './cases/sessions.js';
import { stepCases } from './cases/steps.js';

describe.each([memoryBackend(), sqliteBackend(), postgresBackend()])('Storage contract: $name', (backend) => {
  let database: TestDatabase | undefined;
  let current: Storage | undefined;

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  beforeEach(async () => {
    database = backend.newDatabase();
    current = await database.open();
  });
  afterEach(() => backend.closeAll());

  const context: ContractContext = {
    backend: backend.name,
    storage: () => {
      if (!current) throw new Error('no storage: beforeEach did not run');
      return current;
    },
    db: () => {
      if (!database) throw new Error('no database: beforeEach did not run');
      return database;
    },
  };

  sessionCases(context);
  runCases(context);
  stepCases(context);
  leaseCases(context);
  sequenceCases(context);
  outboxCases(context);
  purgeCases(context);
  migrationCases(context);
});
