/**
 * Chatwoot intake cost: how long zapflow takes to acknowledge a Chatwoot agent-bot event (stored, the
 * conversation status applied) against an Evolution event carrying the same customer text, in the same
 * service and the same run (the baseline), interleaved so load on the machine hits both alike. Each event is
 * a new conversation's first message (its turn then runs in the background, for both alike).
 *
 *   npx tsx bench/chatwoot-ack.ts [events per provider, default 150]
 *
 * Prints the medians and the ratio chatwoot / evolution; writes nothing else. Loopback only, bounded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/logging.js';
import { buildEvolutionTextWebhook } from '../src/webhooks/sign.js';

const events = Number(process.argv[2] ?? 150);
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-bench-chatwoot-'));
const token = 'bench-outgoing-url-secret-0123';
const config = loadConfig({
  PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ZAPFLOW_DATA_DIR: dataDir, ADMIN_TOKEN: 'bench-admin-token-0123456',
  EVOLUTION_WEBHOOK_SECRET: 'bench-evolution-secret', AGENT_ALERT_NUMBERS: '5511900000090',
  // Replies go nowhere reachable: the bench measures acks, the outbox just retries in the background.
  CHATWOOT_URL: 'http://127.0.0.1:9', CHATWOOT_BOT_TOKEN: 'bench-bot-token', CHATWOOT_WEBHOOK_TOKEN: token,
}, { purpose: 'serve' });
const app = await createApp(config, { logger: silentLogger, processing: 'thread' });
const url = await app.start();

function chatwootEvent(i: number, text: string): string {
  const conversation = 10_000 + i;
  return JSON.stringify({
    event: 'message_created', id: 900_000 + i, content: text, message_type: 'incoming', private: false, created_at: new Date().toISOString(),
    content_type: 'text', content_attributes: {}, account: { id: 3, name: 'Loja Exemplo' }, inbox: { id: 12, name: 'WhatsApp' },
    sender: { id: 70 + i, name: 'Cliente Teste', type: 'contact', phone_number: `+55119${String(10_000_000 + i).slice(-8)}` },
    conversation: { id: conversation, status: 'pending', inbox_id: 12, meta: { sender: { id: 70 + i, type: 'contact' }, assignee: null }, messages: [] },
  });
}

async function timed(send: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await send();
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`answered ${response.status}`);
  return performance.now() - started;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
const chatwoot: number[] = [];
const evolution: number[] = [];
try {
  for (let i = 0; i < events; i++) {
    const text = `minha maquininha não liga ${i}`;
    chatwoot.push(await timed(() => fetch(`${url}/webhooks/chatwoot/${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chatwootEvent(i, text) })));
    const request = buildEvolutionTextWebhook({ secret: 'bench-evolution-secret', instance: 'loja', from: `55118${String(10_000_000 + i).slice(-8)}`, text });
    evolution.push(await timed(() => fetch(`${url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })));
  }
  console.log(`events per provider: ${events}`);
  console.log(`median ack  chatwoot ${median(chatwoot).toFixed(2)} ms · evolution ${median(evolution).toFixed(2)} ms · ratio ${(median(chatwoot) / median(evolution)).toFixed(2)}×`);
} finally {
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
