/**
 * A fake Evolution API (v2) on 127.0.0.1: `POST /message/sendText/{instance}` with the `apikey` header and
 * the body `{ number, text }`. Anything else is a violation (recorded, answered like Evolution: 401/404/400).
 */
import { FakeProvider } from './mcp-fake-provider.js';
import type { ProviderAnswer, ReceivedRequest } from './mcp-fake-provider.js';

export interface FakeEvolutionOptions {
  apiKey?: string;
  instance?: string;
}

export const FAKE_EVOLUTION_DEFAULTS = { apiKey: 'fake-evolution-key-0123456789', instance: 'zapflow-atendimento' };

export async function startFakeEvolution(options: FakeEvolutionOptions = {}): Promise<FakeProvider> {
  const { apiKey, instance } = { ...FAKE_EVOLUTION_DEFAULTS, ...options };
  let counter = 0;
  return new FakeProvider((request) => answer(request)).start();

  function answer(request: ReceivedRequest): ProviderAnswer {
    if (request.headers.apikey !== apiKey) {
      return { status: 401, body: { status: 401, error: 'Unauthorized', response: { message: 'Unauthorized' } }, violations: ['wrong or missing apikey header'] };
    }
    const match = /^\/message\/sendText\/([^/?]+)$/.exec(request.path);
    if (request.method !== 'POST' || !match) {
      return { status: 404, body: { status: 404, error: 'Not Found', response: { message: ['Cannot POST ' + request.path] } }, violations: [`unexpected ${request.method} ${request.path}`] };
    }
    if (decodeURIComponent(match[1] ?? '') !== instance) {
      return { status: 404, body: { status: 404, error: 'Not Found', response: { message: [`The "${match[1]}" instance does not exist`] } } };
    }
    const violations: string[] = [];
    if (!String(request.headers['content-type']).startsWith('application/json')) violations.push('content-type is not application/json');
    const body = request.body as Record<string, unknown> | undefined;
    if (!body || JSON.stringify(Object.keys(body).sort()) !== '["number","text"]') violations.push(`body must be exactly { number, text }, got ${JSON.stringify(body && Object.keys(body))}`);
    else {
      if (typeof body.number !== 'string' || !/^(\d{8,15}|[\d-]+@(g\.us|lid|s\.whatsapp\.net))$/.test(body.number)) violations.push(`number ${JSON.stringify(body.number)} is neither digits nor a JID`);
      if (typeof body.text !== 'string' || body.text.length === 0) violations.push('text must be a non-empty string');
    }
    if (violations.length > 0) return { status: 400, body: { status: 400, error: 'Bad Request', response: { message: violations } }, violations };
    counter++;
    const messageId = `3EB0FAKE${String(counter).padStart(14, '0')}`;
    const number = (body as { number: string }).number;
    const remoteJid = number.includes('@') ? number : `${number}@s.whatsapp.net`;
    return {
      status: 201,
      messageId,
      body: { key: { remoteJid, fromMe: true, id: messageId }, message: { conversation: (body as { text: string }).text }, messageTimestamp: 1789393260, status: 'PENDING' },
    };
  }
}
