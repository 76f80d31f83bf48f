/**
 * The WhatsApp MCP server mounted in the service at /mcp (Streamable HTTP, bearer token): another MCP client
 * sends a message through zapflow, and the provider's delivery receipt (a Meta status webhook) is what
 * `get_message_status` then reports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhatsAppMcpClient } from '../../../src/mcp/index.js';
import { signMetaBody } from '../../../src/webhooks/sign.js';
import { SECRETS, startService, type TestService } from '../../helpers/service.js';

const MCP_TOKEN = 'mcp-token-for-tests-0123456';
let service: TestService;
let client: WhatsAppMcpClient;

beforeAll(async () => {
  service = await startService({ MCP_HTTP_TOKEN: MCP_TOKEN });
  client = new WhatsAppMcpClient({ server: { kind: 'http', url: `${service.url}/mcp`, token: MCP_TOKEN } });
});
afterAll(async () => {
  await client.close();
  await service.stop();
});

function metaStatus(messageId: string, status: string): { body: Buffer; headers: Record<string, string> } {
  const body = Buffer.from(JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '100000000000001', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '5511900000099', phone_number_id: '100000000000002' },
      statuses: [{ id: messageId, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: '5511900000401' }],
    } }] }],
  }));
  return { body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, SECRETS.metaAppSecret) } };
}

describe('/mcp in the service', () => {
  it('lets another MCP client send through zapflow, once per idempotency key, and reports delivery receipts', async () => {
    const first = await client.sendTextMessage({ number: '5511900000401', message: 'Olá! Seu cartão já foi enviado.', idempotencyKey: 'crm-42' });
    const again = await client.sendTextMessage({ number: '5511900000401', message: 'Olá! Seu cartão já foi enviado.', idempotencyKey: 'crm-42' });
    expect(again.messageId).toBe(first.messageId);
    expect((await service.sent()).filter((r) => r.recipient.includes('5511900000401'))).toHaveLength(1);

    const receipt = metaStatus(first.messageId, 'delivered');
    expect((await fetch(`${service.url}/webhooks/whatsapp`, { method: 'POST', headers: receipt.headers, body: receipt.body })).status).toBe(200);
    expect((await client.getMessageStatus(first.messageId)).status).toBe('delivered');
  });

  it('refuses clients without the token', async () => {
    const response = await fetch(`${service.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(response.status).toBe(401);
  });
});
