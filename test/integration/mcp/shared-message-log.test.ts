/**
 * The sent-message log shared in Postgres: two WhatsApp MCP services (two zapflow workers) delivering the same
 * reply send it to the provider once — the second waits for the first one's claim and returns its result — and
 * only a claim whose owner died (its lease ran out) lets the part go out again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresServiceStore } from '../../../src/conversations/store/postgres.js';
import type { OutgoingText, SentText, WhatsAppSender } from '../../../src/mcp/senders/types.js';
import type { SendClaims, SentMessageLog } from '../../../src/mcp/server/message-log.js';
import { PostgresSentMessageLog } from '../../../src/mcp/server/postgres-message-log.js';
import { TextMessageService } from '../../../src/mcp/server/text-message-service.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';

/** "Meta": records what reached it; each call waits for `gate` (a slow provider) when given. */
class SlowProvider implements WhatsAppSender {
  readonly provider = 'meta' as const;
  readonly received: OutgoingText[] = [];
  gate: Promise<void> | undefined;
  async sendText(message: OutgoingText): Promise<SentText> {
    this.received.push(message);
    await this.gate;
    return { messageId: `wamid.${this.received.length}`, status: 'accepted' };
  }
}

const reply = { number: '+5511900000041', message: 'Seu protocolo é 2026000123.', idempotencyKey: 'run-7/reply' };
const longReply = { ...reply, idempotencyKey: 'run-8/reply', message: Array.from({ length: 300 }, (_, i) => `Frase número ${i} da resposta.`).join(' ') };

describe('Postgres shared sent-message log', () => {
  let schema: TestSchema;
  let pool: pg.Pool;
  let log: PostgresSentMessageLog;

  beforeAll(async () => {
    schema = await freshSchema('sent_messages');
    const store = new PostgresServiceStore({ dbUrl: schema.databaseUrl, schema: schema.schema });
    await store.init(); // the service migrations create the table
    await store.close();
    pool = new pg.Pool({ connectionString: schema.databaseUrl, max: 4 });
    log = new PostgresSentMessageLog({ pool, table: `"${schema.schema}".zapflow_sent_messages` });
  });

  afterAll(async () => {
    await log?.close();
    await pool?.end();
    await schema?.drop();
  });

  const service = (sender: WhatsAppSender, sharedLog: SentMessageLog = log, claimLeaseMs = 20_000) =>
    new TextMessageService({ sender, log: sharedLog, claimLeaseMs, claimPollMs: 20 });

  it('keeps what every log keeps: messages without a key, statuses from receipts, newest first', async () => {
    const base = { part: 0, parts: 1, requestHash: 'h', provider: 'dry-run' as const, recipient: '+5511900000042', textLength: 3, status: 'dry_run' };
    await log.record({ ...base, messageId: 'dryrun-a', text: 'Olá', createdAt: 1000, updatedAt: 1000 });
    await log.record({ ...base, messageId: 'dryrun-b', text: 'Oi!', createdAt: 2000, updatedAt: 2000 });
    expect(await log.updateStatus('dryrun-a', 'delivered', 3000)).toBe(true);
    expect(await log.updateStatus('unknown', 'read', 3000)).toBe(false);
    expect((await log.list({ provider: 'dry-run' })).map((r) => [r.messageId, r.status, r.text])).toEqual([['dryrun-b', 'dry_run', 'Oi!'], ['dryrun-a', 'delivered', 'Olá']]);
    expect(await log.findByMessageId('dryrun-a')).toEqual({ ...base, messageId: 'dryrun-a', text: 'Olá', status: 'delivered', createdAt: 1000, updatedAt: 3000 });
  });

  it('two workers delivering the same reply at once: the customer gets it once, both report its id', async () => {
    const provider = new SlowProvider();
    let answer: () => void = () => {};
    provider.gate = new Promise((resolve) => (answer = resolve));
    const [first, second] = [service(provider), service(provider)];
    const a = first.send(reply);
    while (provider.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const b = second.send(reply); // finds the first worker's live claim and waits for its result
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer();
    const [sentByFirst, seenBySecond] = await Promise.all([a, b]);
    expect(provider.received, 'messages that reached the provider').toHaveLength(1);
    expect(sentByFirst).toMatchObject({ messageId: 'wamid.1', deduplicated: false });
    expect(seenBySecond).toMatchObject({ messageId: 'wamid.1', deduplicated: true });
    expect(await log.findByMessageId('wamid.1')).toMatchObject({ idempotencyKey: reply.idempotencyKey, status: 'accepted' });
  });

  it('a reply retried later by another worker is not sent again, part by part', async () => {
    const provider = new SlowProvider();
    const first = await service(provider).send(longReply);
    const again = await service(provider).send(longReply);
    expect(first.messageIds.length).toBeGreaterThan(1);
    expect(again).toEqual({ ...first, deduplicated: true });
    expect(provider.received).toHaveLength(first.messageIds.length);
  });

  it('a key reused for another text is refused, whoever holds it', async () => {
    await expect(service(new SlowProvider()).send({ ...reply, message: 'Outra coisa' })).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
  });

  it('the provider refusing a part frees its claim: the retry sends it at once', async () => {
    const refusing: WhatsAppSender = { provider: 'meta', sendText: async () => Promise.reject(Object.assign(new Error('Meta is down'), { retryable: true })) };
    const input = { ...reply, idempotencyKey: 'run-9/reply' };
    await expect(service(refusing).send(input)).rejects.toThrow('Meta is down');
    const provider = new SlowProvider();
    expect(await service(provider).send(input)).toMatchObject({ messageId: 'wamid.1', deduplicated: false });
    expect(provider.received).toHaveLength(1);
  });

  it('only a claim whose owner died (lease run out) is sent again — the documented residual window', async () => {
    const input = { ...reply, idempotencyKey: 'run-10/reply' };
    // A worker claimed the part, called the provider and was killed before recording it.
    const dying = new SlowProvider();
    let kill: (error: Error) => void = () => {};
    dying.gate = new Promise((_, reject) => (kill = reject)); // never answers: the process is gone
    const dead = service(dying, log, 300);
    const deadSend = dead.send(input).catch(() => 'killed');
    while (dying.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // The renewals of a dead process stop: simulate by letting its claim lapse under a fresh owner's eyes.
    await pool.query(`UPDATE "${schema.schema}".zapflow_sent_messages SET owner = 'host:1:dead', lease_until = clock_timestamp() + interval '300 milliseconds' WHERE idempotency_key = $1`, [input.idempotencyKey]);
    const provider = new SlowProvider();
    const resent = await service(provider).send(input);
    expect(resent).toMatchObject({ messageId: 'wamid.1', deduplicated: false });
    expect(provider.received, 'sent again after the dead owner\'s lease ran out').toHaveLength(1);
    kill(new Error('SIGKILL'));
    expect(await deadSend).toBe('killed');
    expect(await log.findByIdempotencyKey(input.idempotencyKey), 'the dead owner cannot undo the record').toMatchObject([{ messageId: 'wamid.1' }]);
  });

  it('forgets what is older than the retention cutoff, with the inbox (recipients are personal data)', async () => {
    const store = new PostgresServiceStore({ dbUrl: schema.databaseUrl, schema: schema.schema });
    await store.init();
    try {
      const base = { part: 0, parts: 1, requestHash: 'h', provider: 'meta' as const, recipient: '+5511900000043', textLength: 3, status: 'accepted' };
      await log.record({ ...base, messageId: 'wamid.old', idempotencyKey: 'old/reply', createdAt: 1000, updatedAt: 1000 });
      await store.purge(5000);
      expect(await log.findByMessageId('wamid.old')).toBeUndefined();
      expect(await log.findByIdempotencyKey(reply.idempotencyKey), 'recent sends stay').toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('a part sent while the log is down is recorded once the log is back, never sent again', async () => {
    const input = { ...reply, idempotencyKey: 'run-11/reply' };
    let failures = 2;
    const flaky: SendClaims = {
      ...log.claims,
      complete: async (record, owner) => {
        if (failures-- > 0) throw new Error('connection terminated (database restarting)');
        return log.claims.complete(record, owner);
      },
    };
    const flakyLog: SentMessageLog = {
      findByIdempotencyKey: (key) => log.findByIdempotencyKey(key), findByMessageId: (id) => log.findByMessageId(id),
      record: (record) => log.record(record), updateStatus: (id, status, now) => log.updateStatus(id, status, now),
      list: (filter) => log.list(filter), close: async () => {}, claims: flaky,
    };
    const provider = new SlowProvider();
    const sent = await service(provider, flakyLog).send(input);
    expect(await service(provider).send(input)).toEqual({ ...sent, deduplicated: true });
    expect(provider.received).toHaveLength(1);
  });
});
