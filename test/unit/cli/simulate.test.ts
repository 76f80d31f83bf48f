import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulate } from '../../../src/cli/commands/simulate.js';
import { createWebhookRouter } from '../../../src/webhooks/index.js';
import type { AcceptedBatch } from '../../../src/webhooks/types.js';

describe('zapflow simulate', () => {
  const batches: AcceptedBatch[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.use(createWebhookRouter({
      meta: { appSecret: 'sim-app-secret', verifyToken: 'sim-verify-token' },
      evolution: { secret: 'sim-evolution-secret' },
      accept: async (batch) => void batches.push(batch),
    }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise((resolve) => server.close(resolve)));

  it('posts a Meta webhook the receiver accepts as a signed customer message', async () => {
    const result = await simulate({ url, provider: 'meta', from: '5511900000001', text: 'minha maquininha não liga', name: 'Maria Teste', secret: 'sim-app-secret' });
    expect(result.status).toBe(200);
    const message = batches.at(-1)?.messages[0];
    expect(message).toMatchObject({ provider: 'meta', messageId: result.messageId, text: 'minha maquininha não liga', name: 'Maria Teste' });
  });

  it('posts an Evolution webhook with the shared secret', async () => {
    const result = await simulate({ url, provider: 'evolution', from: '5511900000002', text: 'quero falar com atendente', secret: 'sim-evolution-secret', instance: 'loja' });
    expect(result.status).toBe(200);
    expect(batches.at(-1)?.messages[0]).toMatchObject({ provider: 'evolution', messageId: result.messageId, text: 'quero falar com atendente' });
  });

  it('a wrong secret is refused by the server and nothing is accepted', async () => {
    const before = batches.length;
    const result = await simulate({ url, provider: 'meta', from: '5511900000001', text: 'oi', secret: 'wrong-secret' });
    expect(result.status).toBe(401);
    expect(batches).toHaveLength(before);
  });

  it('rejects a malformed number before sending anything', async () => {
    await expect(simulate({ url, provider: 'meta', from: '+55 11 9', text: 'oi', secret: 'x' })).rejects.toThrow(/--from must be a phone number/);
  });
});
