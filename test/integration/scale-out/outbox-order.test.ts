/**
 * Several workers deliver one outbox (Postgres): a customer's second reply is not handed to a worker while the
 * first is still undelivered, so replies reach WhatsApp in order — while other customers' replies go at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStorage } from '../../../src/engine/index.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';

const T0 = 1_700_000_000_000;
const reply = (key: string, conversationKey: string) => ({ key, topic: 'customer_message', payload: { conversationKey, text: key } });

describe('outbox delivery across workers keeps each customer in order', () => {
  let schema: TestSchema;
  let workerA: PostgresStorage;
  let workerB: PostgresStorage;

  beforeAll(async () => {
    schema = await freshSchema('outbox_order');
    workerA = new PostgresStorage({ dbUrl: schema.databaseUrl, schema: schema.schema });
    workerB = new PostgresStorage({ dbUrl: schema.databaseUrl, schema: schema.schema });
    await workerA.init();
    await workerB.init();
  });

  afterAll(async () => {
    await workerA?.close();
    await workerB?.close();
    await schema?.drop();
  });

  it('a later reply to the same customer waits for the earlier one; other customers are not held back', async () => {
    await workerA.enqueueOutbox([reply('ana-1', 'meta:ana'), reply('ana-2', 'meta:ana'), reply('bia-1', 'meta:bia')], T0);
    const first = await workerA.claimOutbox('worker-a', T0 + 30_000, T0, 10);
    expect(first.map((row) => row.key).sort()).toEqual(['ana-1', 'bia-1']);
    expect(await workerB.claimOutbox('worker-b', T0 + 30_000, T0 + 1, 10), 'ana-2 while ana-1 is being delivered').toEqual([]);

    const ana1 = first.find((row) => row.key === 'ana-1')!;
    await workerA.markOutboxFailed(ana1.id, 'worker-a', 'provider timeout', T0 + 5_000, false, T0 + 2);
    expect(await workerB.claimOutbox('worker-b', T0 + 30_000, T0 + 3, 10), 'ana-2 while ana-1 waits for its retry').toEqual([]);

    const retried = await workerB.claimOutbox('worker-b', T0 + 60_000, T0 + 5_000, 10);
    expect(retried.map((row) => row.key)).toEqual(['ana-1']);
    await workerB.markOutboxDelivered(ana1.id, 'worker-b', { messageId: 'wamid.1' }, T0 + 5_001);
    expect((await workerA.claimOutbox('worker-a', T0 + 60_000, T0 + 5_002, 10)).map((row) => row.key)).toEqual(['ana-2']);
  });
});
