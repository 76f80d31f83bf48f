/**
 * A Postgres backend terminated under zapflow's feet (`pg_terminate_backend`: what a failover, a restart or
 * an idle-timeout proxy does) must cost one failed operation, retried — never the process ("Unhandled 'error'
 * event" on a checked-out client). Only this file's own connections are terminated: they carry an
 * application_name of their own, so other tests sharing the server are untouched.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../../../src/engine/index.js';
import { freshSchema, testDatabaseUrl, type TestSchema } from '../../helpers/postgres.js';
import { startService, type TestService } from '../../helpers/service.js';

const APP_NAME = `zf_terminated_${randomBytes(3).toString('hex')}`;
const withAppName = (url: string) => `${url}${url.includes('?') ? '&' : '?'}application_name=${APP_NAME}`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Terminates every backend of this file's pools; how many. */
const terminateOurs = () =>
  admin(async (client) => (await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [APP_NAME])).rowCount ?? 0);

describe('a terminated Postgres backend', () => {
  let schema: TestSchema;
  beforeAll(async () => {
    schema = await freshSchema('terminated_backend');
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('fails the protocol-number transaction it was running, which is retried: the number comes, the process lives', async () => {
    const storage = new PostgresStorage({ dbUrl: withAppName(schema.databaseUrl), schema: schema.schema, tableName: 'zf_', poolSize: 2 });
    await storage.init();
    const locker = new pg.Client({ connectionString: schema.databaseUrl });
    await locker.connect();
    try {
      // Hold the idempotency key's row so the storage's transaction waits inside, with its client checked out.
      await locker.query('BEGIN');
      await locker.query(`INSERT INTO "${schema.schema}".zf_sequence_keys (name, idempotency_key, value) VALUES ('protocol', 'run-1', 0)`);
      const numbered = storage.nextSequenceValue('protocol', 'run-1');
      const waiting = await waitFor('the sequence transaction to wait on the lock', () =>
        admin(async (client) => {
          const { rows } = await client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'", [APP_NAME]);
          return rows[0]?.pid;
        }),
      );
      await admin((client) => client.query('SELECT pg_terminate_backend($1)', [waiting]));
      // The retry waits on the same row until the holder gives it up.
      await locker.query('ROLLBACK');
      expect(await numbered).toBe(1);
      expect(await storage.nextSequenceValue('protocol', 'run-1')).toBe(1); // same key, same number
      await storage.ping();
    } finally {
      await locker.end();
      await storage.close();
    }
  });

  describe('under the running service', () => {
    const prefix = `tb_${randomBytes(3).toString('hex')}_`;
    let service: TestService;
    beforeAll(async () => {
      service = await startService({ DATABASE_URL: withAppName(testDatabaseUrl()), ZAPFLOW_TABLE_PREFIX: prefix, COALESCE_WINDOW_MS: '20' });
    }, 60_000);
    afterAll(async () => {
      await service?.stop();
      await admin(async (client) => {
        const { rows } = await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' AND starts_with(tablename, $1)", [prefix]);
        for (const { name } of rows) await client.query(`DROP TABLE IF EXISTS public."${name}" CASCADE`);
      });
    });

    it('keeps serving while every connection it holds is terminated, again and again, during traffic', async () => {
      const customers = Array.from({ length: 12 }, (_, i) => `55119812300${String(i).padStart(2, '0')}`);
      const acked: string[] = [];
      for (let round = 0; round < 3; round++) {
        const posts = customers.map(async (customer, i) => {
          // A webhook that meets a dying connection gets 503 and the provider delivers it again: do the same.
          for (let attempt = 0; attempt < 20; attempt++) {
            const response = await service.post(service.meta(customer, `meu cartão foi bloqueado ${round}`, { messageId: `wamid.${prefix}${round}.${i}` }));
            if (response.status === 200) return acked.push(customer);
            expect(response.status).toBe(503);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          throw new Error('never acked');
        });
        await terminateOurs();
        await Promise.all(posts);
        expect(await terminateOurs()).toBeGreaterThan(0);
      }
      expect(acked).toHaveLength(36);
      await waitFor('readiness after the terminations', async () => ((await fetch(`${service.url}/readyz`)).status === 200 ? true : undefined));
      // Once the connections stay up, new customers are answered.
      const fresh = Array.from({ length: 6 }, (_, i) => `55119812399${String(i).padStart(2, '0')}`);
      for (const [i, customer] of fresh.entries()) expect((await service.post(service.meta(customer, 'qual o horário de atendimento?', { messageId: `wamid.${prefix}fresh.${i}` }))).status).toBe(200);
      // Every customer acked during the terminations is answered too: a turn whose run ended `error` on a
      // dying connection gets a fresh attempt (a rerun: no second protocol, no second alert).
      const everyone = [...new Set([...acked, ...fresh])].map((customer) => `meta:100000000000002:${customer}`);
      await waitFor('every acked customer to be answered', async () => {
        const pending = await service.app.serviceStore.conversationsWithPendingInbox();
        return everyone.every((key) => !pending.includes(key)) ? true : undefined;
      }, 120_000);
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    }, 240_000);
  });
});
