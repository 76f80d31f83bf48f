/**
 * SIGTERM while keep-alive clients keep sending webhooks: `zapflow serve` stops accepting (idle sockets
 * closed, later requests 503 + Connection: close), finishes what it acked, releases its leases and exits 0
 * well inside its guard — every acked message stored and processed on its own, none left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { freePort } from '../../helpers/serve-process.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { buildMetaTextWebhook } from '../../../src/webhooks/sign.js';
import { SECRETS, serviceEnv } from '../../helpers/service.js';

const children: ChildProcess[] = [];
const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-sigterm-'));
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function post(agent: Agent, port: number, customer: string, messageId: string): Promise<{ status: number; connection: string | undefined }> {
  const webhook = buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from: customer, text: 'quero cancelar minha assinatura', messageId });
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: webhook.path, method: 'POST', agent, headers: { ...webhook.headers, 'content-length': webhook.body.length } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
    req.end(webhook.body);
  });
}

describe('SIGTERM under sustained keep-alive traffic', () => {
  it('drains and exits 0; every acked message is stored and processed', async () => {
    const port = await freePort();
    const { PORT: _port, ...env } = serviceEnv(dataDir, { COALESCE_WINDOW_MS: '50', HTTP_DRAIN_MS: '3000' });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, ...env, PORT: String(port), DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error(`zapflow serve exited early: ${stderr}`);
      if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
      if (i > 300) throw new Error(`zapflow serve did not become healthy: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    // 8 keep-alive clients, each sending webhook after webhook until the service stops answering.
    const acked: string[] = [];
    const refused: Array<string | undefined> = [];
    let sigtermSent = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let n = 0; ; n++) {
          const messageId = `wamid.sigterm.${c}.${n}`;
          let answer: { status: number; connection: string | undefined };
          try {
            answer = await post(agent, port, `551198770${String(c).padStart(4, '0')}`, messageId);
          } catch {
            if (sigtermSent) return; // the listener is gone: the provider would try later
            throw new Error(`webhook failed before SIGTERM: ${stderr}`);
          }
          if (answer.status === 200) acked.push(messageId);
          else {
            expect(answer.status).toBe(503);
            refused.push(answer.connection);
            return;
          }
        }
      } finally {
        agent.destroy();
      }
    });
    while (acked.length < 40) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGTERM');
    sigtermSent = true;
    await Promise.all(clients);
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/shutdown failed/);
    // A request refused during the drain says the socket is closing, so the client does not reuse it.
    for (const connection of refused) expect(connection).toBe('close');

    const db = new Database(join(dataDir, 'zapflow.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT message_id AS messageId, status FROM zapflow_inbox').all() as Array<{ messageId: string; status: string }>;
      const status = new Map(rows.map((row) => [row.messageId, row.status]));
      // Acked means stored; a graceful stop finishes the turns it started and leaves the rest pending for the
      // next start — nothing half-done ("processing" under a run that will never finish).
      for (const messageId of acked) expect(['done', 'forwarded', 'pending'], messageId).toContain(status.get(messageId));
      expect(rows.filter((row) => row.status === 'processing')).toEqual([]);
      // No lease is left held for work. A scheduled job that ran in the last 30 s keeps its tick's mark (the lease,
      // shortened to ≤ 30 s after the tick) by design, so that a peer firing the same minute late skips it: when the
      // service's life spans a minute boundary, `cron:sla-realert` is there — never with a job's whole lease left.
      const held = db.prepare('SELECT name, expires_at - ? AS msLeft FROM zapflow_leases WHERE expires_at > ?').all(Date.now(), Date.now()) as Array<{ name: string; msLeft: number }>;
      expect(held.filter((lease) => !(lease.name.startsWith('cron:') && lease.msLeft <= 30_000))).toEqual([]);
    } finally {
      db.close();
    }
  }, 120_000);
});
