/**
 * A fake Meta WhatsApp Cloud API on 127.0.0.1: `POST /{version}/{phoneNumberId}/messages` with the exact
 * body Meta documents for a text message and `Authorization: Bearer <token>`. Anything else is a violation
 * (recorded, answered like Graph would: 400 code 100, or 401 code 190 for a bad token).
 */
import { FakeProvider } from './mcp-fake-provider.js';
import type { ProviderAnswer, ReceivedRequest } from './mcp-fake-provider.js';

export interface FakeMetaOptions {
  token?: string;
  phoneNumberId?: string;
  apiVersion?: string;
}

export const FAKE_META_DEFAULTS = { token: 'fake-meta-token-0123456789', phoneNumberId: '100000000000001', apiVersion: 'v21.0' };

export async function startFakeMeta(options: FakeMetaOptions = {}): Promise<FakeProvider> {
  const { token, phoneNumberId, apiVersion } = { ...FAKE_META_DEFAULTS, ...options };
  let counter = 0;
  return new FakeProvider((request) => answer(request)).start();

  function answer(request: ReceivedRequest): ProviderAnswer {
    if (request.headers.authorization !== `Bearer ${token}`) {
      return { status: 401, body: graphError(190, 'Invalid OAuth access token - Cannot parse access token', 'OAuthException'), violations: ['wrong or missing bearer token'] };
    }
    const violations: string[] = [];
    if (request.method !== 'POST') violations.push(`method ${request.method}, expected POST`);
    if (request.path !== `/${apiVersion}/${phoneNumberId}/messages`) violations.push(`path ${request.path}, expected /${apiVersion}/${phoneNumberId}/messages`);
    if (!String(request.headers['content-type']).startsWith('application/json')) violations.push('content-type is not application/json');
    const body = request.body as Record<string, unknown> | undefined;
    // A customer known only by a business-scoped user id is addressed with `recipient` instead of `to`.
    const byBsuid = typeof body?.recipient === 'string';
    const expectedKeys = ['messaging_product', byBsuid ? 'recipient' : 'to', 'recipient_type', 'text', 'type'].sort();
    if (!body || typeof body !== 'object') violations.push('body is not a JSON object');
    else {
      if (JSON.stringify(Object.keys(body).sort()) !== JSON.stringify(expectedKeys)) violations.push(`body keys ${Object.keys(body).sort().join(',')}`);
      if (byBsuid && !/^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/.test(String(body.recipient))) violations.push(`recipient must be a BSUID, got ${JSON.stringify(body.recipient)}`);
      if (body.messaging_product !== 'whatsapp') violations.push('messaging_product must be whatsapp');
      if (body.recipient_type !== 'individual') violations.push('recipient_type must be individual');
      if (body.type !== 'text') violations.push('type must be text');
      if (!byBsuid && (typeof body.to !== 'string' || !/^\d{8,15}$/.test(body.to))) violations.push(`to must be E.164 digits, got ${JSON.stringify(body.to)}`);
      const text = body.text as Record<string, unknown> | undefined;
      if (!text || JSON.stringify(Object.keys(text).sort()) !== '["body","preview_url"]') violations.push('text must be { preview_url, body }');
      else {
        if (text.preview_url !== false) violations.push('text.preview_url must be false');
        if (typeof text.body !== 'string' || text.body.length === 0 || [...text.body].length > 4096) violations.push('text.body must be 1..4096 characters');
      }
    }
    if (violations.length > 0) return { status: 400, body: graphError(100, `(#100) Invalid parameter: ${violations[0]}`, 'OAuthException'), violations };
    counter++;
    const messageId = `wamid.FAKE${String(counter).padStart(6, '0')}`;
    const { to, recipient } = body as { to?: string; recipient?: string };
    const contact = recipient !== undefined ? { input: recipient, user_id: recipient } : { input: to, wa_id: to };
    return { status: 200, messageId, body: { messaging_product: 'whatsapp', contacts: [contact], messages: [{ id: messageId }] } };
  }
}

/** A Graph API error body, as Meta sends it. */
export function graphError(code: number, message: string, type = 'OAuthException'): unknown {
  return { error: { message, type, code, fbtrace_id: 'AbCdEfGhIjK' } };
}
