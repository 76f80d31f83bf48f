/**
 * The floor of `npm run bench:webhooks`: the least a receiver that keeps its promise ("a message acked is a
 * message stored") can do — express, the raw body, the Meta HMAC (or the Evolution header secret), one inbox
 * insert through the same store classes as the service (SQLite file or Postgres), then 200. No normalizer, no
 * dispatcher, no workflows, no logs, no metrics. Run in its own process by the harness:
 *
 *   PORT=… FLOOR_STORE=sqlite FLOOR_DB_FILE=/tmp/x/floor.db node --import tsx bench/webhook-floor.ts
 *   PORT=… FLOOR_STORE=postgres DATABASE_URL=… FLOOR_TABLE_PREFIX=bwf_… node --import tsx bench/webhook-floor.ts
 */
import type { Server } from 'node:http';
import express from 'express';
import { PostgresServiceStore, SqliteServiceStore, type InboxItem, type ServiceStore } from '../src/conversations/store/index.js';
import { safeEqual, verifyMetaSignature } from '../src/webhooks/auth.js';
import { conversationKeyOf } from '../src/webhooks/conversation-key.js';
import { BENCH_SECRETS } from './webhook-plan.js';

interface MetaBody {
  entry?: Array<{ changes?: Array<{ value?: {
    metadata?: { phone_number_id?: string };
    contacts?: Array<{ profile?: { name?: string } }>;
    messages?: Array<{ from?: string; id?: string; timestamp?: string; text?: { body?: string } }>;
  } }> }>;
}

interface EvolutionBody {
  instance?: string;
  data?: { key?: { remoteJid?: string; id?: string }; pushName?: string; message?: { conversation?: string }; messageTimestamp?: number };
}

/** Only the bench's own well-formed deliveries reach here; anything else is a 400 (the service validates properly). */
function metaItem(body: MetaBody): InboxItem | undefined {
  const value = body.entry?.[0]?.changes?.[0]?.value;
  const message = value?.messages?.[0];
  if (!value?.metadata?.phone_number_id || !message?.from || !message.id || message.text?.body === undefined) return undefined;
  const name = value.contacts?.[0]?.profile?.name;
  return {
    provider: 'meta', messageId: message.id, conversationKey: conversationKeyOf('meta', value.metadata.phone_number_id, message.from),
    kind: 'text', customer: message.from, ...(name ? { name } : {}), text: message.text.body, sentAt: Number(message.timestamp) * 1000, raw: message,
  };
}

function evolutionItem(body: EvolutionBody, instance: string): InboxItem | undefined {
  const data = body.data;
  const customer = data?.key?.remoteJid?.split('@')[0];
  if (!customer || !data?.key?.id || data.message?.conversation === undefined) return undefined;
  return {
    provider: 'evolution', messageId: data.key.id, conversationKey: conversationKeyOf('evolution', instance, customer),
    kind: 'text', customer, ...(data.pushName ? { name: data.pushName } : {}), text: data.message.conversation, sentAt: (data.messageTimestamp ?? 0) * 1000, raw: data,
  };
}

export function createFloorApp(store: ServiceStore): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const raw = express.raw({ type: () => true, limit: '1mb', inflate: false });
  const store200 = async (item: InboxItem | undefined, res: express.Response): Promise<void> => {
    if (!item) {
      res.status(400).json({ error: 'not a text message', code: 'FLOOR_UNSUPPORTED' });
      return;
    }
    try {
      await store.insertInbox([item], Date.now());
    } catch {
      res.status(503).json({ error: 'not stored', code: 'FLOOR_STORE_FAILED' });
      return;
    }
    res.status(200).json({ ok: true, inbound: 1 });
  };
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.post('/webhooks/whatsapp', raw, async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!verifyMetaSignature(body, req.get('x-hub-signature-256'), BENCH_SECRETS.metaAppSecret)) {
      res.status(401).json({ error: 'bad signature', code: 'WEBHOOK_SIGNATURE_INVALID' });
      return;
    }
    await store200(metaItem(JSON.parse(body.toString('utf8')) as MetaBody), res);
  });
  app.post('/webhooks/evolution/:instance', raw, async (req, res) => {
    if (!safeEqual(req.get('apikey') ?? '', BENCH_SECRETS.evolutionSecret)) {
      res.status(401).json({ error: 'bad secret', code: 'WEBHOOK_SECRET_INVALID' });
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    await store200(evolutionItem(JSON.parse(body.toString('utf8')) as EvolutionBody, String(req.params.instance)), res);
  });
  return app;
}

async function main(): Promise<void> {
  const env = process.env;
  const store: ServiceStore = env.FLOOR_STORE === 'postgres'
    // One insert per request, no group commit: it needs as many connections as requests in flight.
    ? new PostgresServiceStore({ dbUrl: env.DATABASE_URL ?? '', tableName: env.FLOOR_TABLE_PREFIX ?? 'bench_floor_', intakePoolSize: 10 })
    : new SqliteServiceStore({ dbFile: env.FLOOR_DB_FILE ?? './data/bench-floor.db', tableName: env.FLOOR_TABLE_PREFIX ?? 'zapflow_' });
  await store.init();
  const server: Server = createFloorApp(store).listen(Number(env.PORT ?? 0), '127.0.0.1');
  const stop = () => server.close(() => void store.close().finally(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1]?.endsWith('webhook-floor.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench floor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
