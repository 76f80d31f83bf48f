/**
 * A real HTTP server on 127.0.0.1 (port 0) with only the webhook router mounted, recording every batch
 * handed to `accept`. Tests talk to it with fetch, exactly as a provider would.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { type AcceptedBatch, type WebhookRouterOptions, createWebhookRouter } from '../../src/webhooks/index.js';
import { loadWebhookManifest } from './webhook-fixtures.js';

export interface WebhookResponse {
  status: number;
  contentType: string | null;
  headers: Record<string, string>;
  text: string;
}

export interface WebhookTestServer {
  baseUrl: string;
  /** Every batch `accept` received, in order (only those it resolved for, when a custom accept is set). */
  batches: AcceptedBatch[];
  /** How many times `accept` was called, including calls that threw. */
  acceptCalls(): number;
  /** Replace what `accept` does (default: record the batch and resolve). */
  setAccept(accept: ((batch: AcceptedBatch) => Promise<void>) | undefined): void;
  /** Forget recorded batches and calls. */
  reset(): void;
  post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<WebhookResponse>;
  get(pathAndQuery: string): Promise<WebhookResponse>;
  close(): Promise<void>;
}

export const TEST_INSTANCE = 'zapflow-atendimento';

export async function startWebhookServer(overrides: Partial<Omit<WebhookRouterOptions, 'accept'>> = {}): Promise<WebhookTestServer> {
  const { secrets } = loadWebhookManifest();
  const batches: AcceptedBatch[] = [];
  let calls = 0;
  let custom: ((batch: AcceptedBatch) => Promise<void>) | undefined;

  const app = express();
  app.use(
    createWebhookRouter({
      meta: { appSecret: secrets.meta.appSecret, verifyToken: secrets.meta.verifyToken },
      evolution: { secret: secrets.evolution.secret },
      ...overrides,
      accept: async (batch) => {
        calls += 1;
        if (custom) await custom(batch);
        batches.push(batch);
      },
    }),
  );

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;

  const read = async (response: Response): Promise<WebhookResponse> => ({
    status: response.status,
    contentType: response.headers.get('content-type'),
    headers: Object.fromEntries(response.headers),
    text: await response.text(),
  });

  return {
    baseUrl,
    batches,
    acceptCalls: () => calls,
    setAccept: (accept) => {
      custom = accept;
    },
    reset: () => {
      batches.length = 0;
      calls = 0;
    },
    post: async (path, body, headers) => read(await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body })),
    get: async (pathAndQuery) => read(await fetch(`${baseUrl}${pathAndQuery}`)),
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}
