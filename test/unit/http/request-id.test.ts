import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import { createAdminRouter } from '../../../src/http/admin/index.js';
import { acceptedRequestId, requestIdMiddleware } from '../../../src/http/request-id.js';
import { createLogger } from '../../../src/logging.js';
import { ADMIN_TOKEN, NOW, fakeWorkflows, inboxItem } from './admin-server.js';

const CUSTOMER = '5511987654321';
const KEY = `meta:100000000000002:${CUSTOMER}`;

describe('request ids and the access log', () => {
  const lines: string[] = [];
  const logs = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  let server: Server;
  let base: string;

  beforeAll(async () => {
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const serviceStore = new MemoryServiceStore();
    await serviceStore.insertInbox([inboxItem(KEY, CUSTOMER, 'wamid.1', `meu número é ${CUSTOMER}`, NOW)], NOW);
    let ids = 0;
    const app = express();
    app.use(requestIdMiddleware({
      logger, generateId: () => `generated-${++ids}`,
      quietAnswer: (req, status) => req.method === 'POST' && status < 300 && req.path.startsWith('/webhooks/'),
    }));
    app.post('/webhooks/whatsapp', (req, res) => {
      if (req.get('x-hub-signature-256')) res.json({ ok: true });
      else res.status(401).json({ error: 'signature missing', code: 'WEBHOOK_SIGNATURE_INVALID' });
    });
    app.use(createAdminRouter({
      adminToken: ADMIN_TOKEN, storage: new MemoryStorage(), serviceStore, lifecycle: new ConversationLifecycle(serviceStore, () => NOW), workflows: fakeWorkflows(), logger,
    }));
    app.get('/healthz', (req, res) => {
      res.json({ id: req.id });
    });
    server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  });
  beforeEach(() => {
    lines.length = 0;
  });

  /** The access line is written on 'finish', which can come a moment after the client has the answer. */
  const accessLine = async (): Promise<Record<string, unknown>> => {
    await expect.poll(() => logs().some((entry) => entry.msg === 'request')).toBe(true);
    return logs().find((entry) => entry.msg === 'request')!;
  };

  it('keeps webhook acks out of the info log, but not refused webhooks', async () => {
    const acked = await fetch(`${base}/webhooks/whatsapp`, { method: 'POST', headers: { 'x-hub-signature-256': 'sha256=ok' } });
    expect(acked.status).toBe(200);
    const refused = await fetch(`${base}/webhooks/whatsapp`, { method: 'POST' });
    expect(refused.status).toBe(401);
    const line = await accessLine();
    expect(line).toMatchObject({ route: '/webhooks/whatsapp', status: 401, requestId: refused.headers.get('x-request-id') });
    expect(logs().filter((entry) => entry.msg === 'request')).toHaveLength(1);
  });

  it('echoes a valid X-Request-Id and logs with it', async () => {
    const response = await fetch(`${base}/admin/conversations/${encodeURIComponent(KEY)}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': 'trace-abc.123:def' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123:def');
    const line = await accessLine();
    expect(line).toMatchObject({ requestId: 'trace-abc.123:def', method: 'GET', status: 200, route: '/admin/conversations/:key', level: 'info' });
  });

  it('replaces a missing, malformed or oversized id with a new one', async () => {
    for (const header of [undefined, 'has spaces in it', '<script>', 'x'.repeat(129)]) {
      const response = await fetch(`${base}/healthz`, { headers: header === undefined ? {} : { 'x-request-id': header } });
      const echoed = response.headers.get('x-request-id');
      expect(echoed, String(header)).toMatch(/^generated-\d+$/);
      expect(((await response.json()) as { id: string }).id).toBe(echoed);
    }
  });

  it('never logs the phone number in the path, the query string, bodies or the token', async () => {
    await fetch(`${base}/admin/conversations/${encodeURIComponent(KEY)}/claim?token=query-secret-1234`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}x`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: `agent ${CUSTOMER}` }),
    });
    await fetch(`${base}/admin/${CUSTOMER}?token=query-secret-1234`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await expect.poll(() => logs().filter((entry) => entry.msg === 'request').length).toBe(2);
    const all = lines.join('\n');
    for (const secret of [CUSTOMER, '987654321', 'query-secret-1234', ADMIN_TOKEN]) expect(all, `"${secret}" leaked`).not.toContain(secret);
    expect(logs()).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'AUTH_INVALID', level: 'warn', requestId: expect.any(String) })]));
  });

  it('logs a 404 for an unknown conversation with its route once, not /admin/admin/…', async () => {
    const response = await fetch(`${base}/admin/conversations/${encodeURIComponent('meta:100000000000002:5511900000999')}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(404);
    expect(await accessLine()).toMatchObject({ route: '/admin/conversations/:key', status: 404 });
  });

  it('accepts only sane ids', () => {
    expect(acceptedRequestId('0b6f1a9e-1c1d-4d7e-9a43-3b1f1e2a9c10')).toBe('0b6f1a9e-1c1d-4d7e-9a43-3b1f1e2a9c10');
    expect(acceptedRequestId(['first', 'second'])).toBe('first');
    expect(acceptedRequestId('a\nb')).toBeUndefined();
    expect(acceptedRequestId('')).toBeUndefined();
  });
});
