/**
 * Console live updates across web processes on Postgres (LISTEN/NOTIFY): two zapflow web processes share one
 * database; a supervisor watches the queue and a conversation on web B while the work happens through web A —
 * a customer's turn, an agent's claim, a new message on a conversation the bot holds. Each shows on B's open
 * pages without a reload. B's listening connection is then killed: it comes back by itself, and updates flow
 * again.
 *
 * Both processes run in this test process (their own pools and listening connections, as separate processes
 * would have); the database cannot tell them apart from two machines.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/logging.js';
import { hashPassword } from '../../../src/people/index.js';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { signIn } from '../../helpers/console-session.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../helpers/throwaway-postgres.js';
import { waitUntil } from '../../helpers/wait.js';
import { embeddedModel } from '../../helpers/workflow-deps.js';

const FRAUD = 'alguém fez 3 compras no meu cartão que eu não reconheço, clonaram meu cartão!';
const ESCALATED_PHONE = '5511900000401';
const BOT_PHONE = '5511900000402';
const keyOf = (phone: string) => `meta:100000000000002:${phone}`;

/** A console page's server-sent events, as a browser's EventSource would receive them. */
class LiveStream {
  readonly events: string[] = [];
  private readonly abort = new AbortController();
  private done: Promise<void> = Promise.resolve();

  async open(url: string, cookie: string): Promise<void> {
    const response = await fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal: this.abort.signal });
    expect(response.status, `GET ${url}`).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
            if (data) this.events.push(data);
          }
        }
      } catch {
        // aborted by close()
      }
    })();
    await waitUntil(() => this.events.length > 0, { timeoutMs: 30_000, what: `the first render of ${url}` });
  }

  /** Waits for a render, after the ones already seen, that contains `text`. */
  async next(text: string, what: string, after = this.events.length): Promise<string> {
    await waitUntil(() => this.events.slice(after).some((event) => event.includes(text)), { timeoutMs: 30_000, what });
    return this.events.slice(after).find((event) => event.includes(text))!;
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe('console live updates across two web processes on Postgres', () => {
  let postgres: ThrowawayPostgres;
  const dirs: string[] = [];
  let a: App;
  let b: App;
  let urlA = '';
  let urlB = '';
  const streams: LiveStream[] = [];

  beforeAll(async () => {
    postgres = await startThrowawayPostgres();
    const env = () => {
      const dir = mkdtempSync(join(tmpdir(), 'zapflow-live-'));
      dirs.push(dir);
      return serviceEnv(dir, { DATABASE_URL: postgres.url });
    };
    // A serves webhooks and runs the turns (as `zapflow serve` does); B is a `--role web` process.
    a = await createApp(loadConfig(env(), { purpose: 'serve' }), { logger: silentLogger, model: embeddedModel() });
    urlA = await a.start();
    b = await createApp(loadConfig(env(), { purpose: 'serve', role: 'web' }), { logger: silentLogger });
    urlB = await b.start();
    await a.people.addUser({ username: 'ana', displayName: 'Ana Souza', role: 'agent', passwordHash: await hashPassword('ana-password-12') });
    await a.people.addUser({ username: 'rita', displayName: 'Rita Supervisora', role: 'admin', passwordHash: await hashPassword('rita-password-1') });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(streams.map((stream) => stream.close()));
    await b?.stop();
    await a?.stop();
    await postgres?.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const customer = (phone: string, text: string, name?: string) => {
    const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: phone, text, ...(name ? { name } : {}) });
    return fetch(`${urlA}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
  };
  const watch = async (url: string, cookie: string) => {
    const stream = new LiveStream();
    streams.push(stream);
    await stream.open(url, cookie);
    return stream;
  };

  it('a turn on A and an agent\'s claim on A show on the pages a supervisor has open on B', async () => {
    const rita = (await signIn(urlB, 'rita', 'rita-password-1')).cookie;
    const queueOnB = await watch(`${urlB}/console/queue/stream`, rita);
    expect(queueOnB.events[0], 'the queue starts empty').not.toContain('Joana Teste');

    expect((await customer(ESCALATED_PHONE, FRAUD, 'Joana Teste')).status).toBe(200);
    await a.settle();
    await queueOnB.next('Joana Teste', 'the escalated customer in the queue open on B');

    const key = keyOf(ESCALATED_PHONE);
    const conversationOnB = await watch(`${urlB}/console/conversations/${encodeURIComponent(key)}/stream`, rita);
    const ana = (await signIn(urlA, 'ana', 'ana-password-12')).cookie;
    const page = await (await fetch(`${urlA}/console/conversations/${encodeURIComponent(key)}`, { headers: { cookie: ana } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
    const seen = { queue: queueOnB.events.length, conversation: conversationOnB.events.length };
    const claim = await fetch(`${urlA}/console/conversations/${encodeURIComponent(key)}/claim`, {
      method: 'POST', redirect: 'manual', headers: { cookie: ana, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(claim.status, 'Ana claims on A').toBe(303);
    await queueOnB.next('Ana Souza', 'the queue on B shows Ana holding the conversation', seen.queue);
    await conversationOnB.next('Ana Souza', 'the conversation open on B shows Ana\'s claim', seen.conversation);
  }, 120_000);

  it('a new message on a conversation the bot holds (no queue change) reaches B\'s open page, also after B\'s listening connection was killed', async () => {
    expect((await customer(BOT_PHONE, 'qual o horario de atendimento de voces')).status).toBe(200);
    await a.settle();
    const rita = (await signIn(urlB, 'rita', 'rita-password-1')).cookie;
    const conversationOnB = await watch(`${urlB}/console/conversations/${encodeURIComponent(keyOf(BOT_PHONE))}/stream`, rita);

    let seen = conversationOnB.events.length;
    expect((await customer(BOT_PHONE, 'e no sabado tambem abre')).status).toBe(200);
    await conversationOnB.next('e no sabado tambem abre', 'the customer\'s new message on the page open on B', seen);

    // A failover, a proxy dropping idle connections: every listening connection is terminated.
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      // The console's channel only (pg-boss listens on its own).
      const ours = `LISTEN "public.zapflow_live"`;
      const listening = async () => Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1', [ours])).rows[0]?.n);
      expect(await listening(), 'one listening connection per web process').toBe(2);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [ours]);
      await waitUntil(async () => (await listening()) === 2, { timeoutMs: 30_000, what: 'both web processes listening again' });
    } finally {
      await admin.end();
    }
    seen = conversationOnB.events.length;
    expect((await customer(BOT_PHONE, 'obrigado pela ajuda')).status).toBe(200);
    await conversationOnB.next('obrigado pela ajuda', 'a message after the reconnection on the page open on B', seen);
  }, 120_000);
});
