/**
 * "A message acked is never lost": the real `zapflow serve` process is SIGKILLed right after it answered
 * 200 to a webhook (before its coalescing window let it process the message), then started again on the
 * same data: the customer is answered, exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../../helpers/serve-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteSentMessageLog } from '../../../src/mcp/index.js';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';
import { waitUntil } from '../../helpers/wait.js';

// Each test starts the service twice as a child process (tsx compiles on start): on a busy 2-core machine a
// start alone can take tens of seconds, so waits are on conditions with generous deadlines.
const TEST_TIMEOUT_MS = 240_000;

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-kill-ack-'));
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function serve(port: number, coalesceMs: number): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const { PORT: _port, ...env } = serviceEnv(dataDir, { COALESCE_WINDOW_MS: String(coalesceMs) });
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: { ...process.env, ...env, PORT: String(port), DATABASE_URL: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`zapflow serve exited early: ${stderr}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    },
    { what: 'zapflow serve to answer /healthz', timeoutMs: 120_000 },
  ).catch((error: unknown) => {
    throw new Error(`zapflow serve did not become healthy: ${stderr}`, { cause: error });
  });
  return { child, exited };
}

async function sentTo(phone: string): Promise<number> {
  const log = new SqliteSentMessageLog(join(dataDir, 'mcp-whatsapp.sqlite'));
  try {
    return (await log.list({ limit: 1000 })).filter((r) => r.recipient.includes(phone)).length;
  } finally {
    await log.close();
  }
}

describe('a process killed right after acknowledging a webhook', () => {
  it('processes the message after restart, exactly once', async () => {
    const port = await freePort();
    const first = await serve(port, 20_000);
    const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: '5511900000301', text: 'como faço pra pedir a segunda via do boleto?' });
    const ack = await fetch(`http://127.0.0.1:${port}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
    expect(ack.status).toBe(200);
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await serve(port, 100);
    await waitUntil(async () => (await botReplies(port, '5511900000301')) > 0, { what: 'the bot reply after the restart' });
    expect(await botReplies(port, '5511900000301')).toBe(1);
    // Let the outbox deliver, then stop gracefully and read what "WhatsApp" got.
    await waitUntil(async () => (await sentTo('5511900000301')) > 0, { what: 'the reply to reach the WhatsApp sender' });
    second.child.kill('SIGTERM');
    await second.exited;
    expect(await sentTo('5511900000301')).toBe(1);
  }, TEST_TIMEOUT_MS);
});

async function botReplies(port: number, phone: string): Promise<number> {
  const key = encodeURIComponent(`meta:100000000000002:${phone}`);
  const response = await fetch(`http://127.0.0.1:${port}/admin/conversations/${key}`, { headers: { authorization: `Bearer ${SECRETS.adminToken}` } });
  if (!response.ok) return 0;
  const view = (await response.json()) as { recentMessages: Array<{ kind: string }> };
  return view.recentMessages.filter((m) => m.kind === 'bot_reply').length;
}

describe('SIGTERM while conversations are being processed', () => {
  it('exits cleanly and every acknowledged message is answered exactly once after the restart', async () => {
    const port = await freePort();
    const first = await serve(port, 50);
    const phones = ['5511900000311', '5511900000312', '5511900000313', '5511900000314', '5511900000315'];
    for (const phone of phones) {
      const request = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: phone, text: 'quero saber o limite do meu cartão de crédito' });
      expect((await fetch(`http://127.0.0.1:${port}${request.path}`, { method: 'POST', headers: request.headers, body: request.body })).status).toBe(200);
    }
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = await serve(port, 50);
    await waitUntil(async () => (await Promise.all(phones.map((phone) => botReplies(port, phone)))).every((c) => c >= 1), {
      what: 'a bot reply to each of the five customers after the restart',
    });
    expect(await Promise.all(phones.map((phone) => botReplies(port, phone)))).toEqual([1, 1, 1, 1, 1]);
    await waitUntil(async () => (await Promise.all(phones.map(sentTo))).every((c) => c >= 1), { what: 'each reply to reach the WhatsApp sender' });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    for (const phone of phones) expect(await sentTo(phone)).toBe(1);
  }, TEST_TIMEOUT_MS);
});
