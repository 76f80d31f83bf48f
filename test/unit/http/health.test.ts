import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConfigError } from '../../../src/http/errors.js';
import { type HealthRouterOptions, createHealthRouter } from '../../../src/http/health.js';

let server: Server | undefined;

async function serve(options: HealthRouterOptions): Promise<string> {
  const app = express();
  app.use(createHealthRouter(options));
  server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function get(url: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

afterEach(async () => {
  const current = server;
  server = undefined;
  if (current) {
    await new Promise<void>((resolve, reject) => {
      current.close((error) => (error ? reject(error) : resolve()));
      current.closeAllConnections();
    });
  }
});

describe('health probes', () => {
  it('/healthz is alive even when a dependency is down', async () => {
    const base = await serve({ checks: { storage: () => Promise.reject(new Error('connection refused')) } });
    expect(await get(`${base}/healthz`)).toEqual({ status: 200, json: { status: 'ok' } });
  });

  it('/readyz is 200 with every check ok', async () => {
    const base = await serve({ checks: { storage: async () => {}, mcp: async () => {} } });
    expect(await get(`${base}/readyz`)).toEqual({ status: 200, json: { status: 'ready', checks: { storage: 'ok', mcp: 'ok' } } });
  });

  it('/readyz is 503 naming the failing check and why', async () => {
    const base = await serve({
      checks: {
        storage: async () => {},
        mcp: () => Promise.reject(new Error('MCP client not connected')),
        thrower: () => {
          throw new Error('thrown before any promise');
        },
      },
    });
    expect(await get(`${base}/readyz`)).toEqual({
      status: 503,
      json: { status: 'not_ready', checks: { storage: 'ok', mcp: 'MCP client not connected', thrower: 'thrown before any promise' } },
    });
  });

  it('/readyz is 503 when a check hangs past the timeout, instead of hanging the probe', async () => {
    const base = await serve({ checks: { storage: () => new Promise<void>(() => {}) }, timeoutMs: 50 });
    expect(await get(`${base}/readyz`)).toEqual({ status: 503, json: { status: 'not_ready', checks: { storage: 'timed out after 50 ms' } } });
  });

  it('refuses a non-positive timeout at construction', () => {
    expect(() => createHealthRouter({ checks: {}, timeoutMs: 0 })).toThrow(HttpConfigError);
  });
});
