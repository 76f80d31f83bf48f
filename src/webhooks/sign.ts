/**
 * Builds webhook requests the way the providers send them, for `zapflow simulate`, the demo and the load
 * bench: a signed Meta text delivery (in Meta's escaped wire form, so the receiver's raw-byte signature
 * path is exercised for real) and an Evolution v2.3 `messages.upsert` with the secret header.
 */
import { createHmac, randomBytes } from 'node:crypto';

export interface WebhookRequest {
  /** Path on the zapflow server to POST to. */
  path: string;
  headers: Record<string, string>;
  /** Exact bytes to send (the Meta signature covers them). */
  body: Buffer;
  /** Provider message id in the body (what the inbox dedupes on). */
  messageId: string;
}

/** `sha256=<lowercase hex HMAC-SHA256(appSecret, body)>`, the `X-Hub-Signature-256` value. */
export function signMetaBody(body: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

/**
 * Meta's wire format: compact JSON with `/` as `\/`, every non-ASCII UTF-16 unit as a lowercase `\uXXXX`
 * escape, and `@`, `%`, `<` escaped. JSON text has none of these characters outside string literals, so
 * replacing them everywhere is safe.
 */
export function metaWireStringify(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/@/g, '\\u0040')
    .replace(/%/g, '\\u0025')
    .replace(/</g, '\\u003C')
    .replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface MetaTextWebhookInput {
  appSecret: string;
  /** Customer phone number, digits only. */
  from: string;
  text: string;
  name?: string;
  /** @default a fresh `wamid.` id, so every call is a new message */
  messageId?: string;
  /** @default "100000000000002" (the fixtures' fake phone_number_id) */
  phoneNumberId?: string;
  /** @default "5511900000099" */
  displayPhoneNumber?: string;
  /** @default "100000000000001" */
  wabaId?: string;
  /** Unix ms. @default Date.now() */
  timestamp?: number;
  /** Quoted message id (`context.id`). */
  replyTo?: string;
}

export function buildMetaTextWebhook(input: MetaTextWebhookInput): WebhookRequest {
  const messageId = input.messageId ?? `wamid.SIM${randomBytes(18).toString('base64url')}`;
  const displayPhoneNumber = input.displayPhoneNumber ?? '5511900000099';
  const message = {
    ...(input.replyTo !== undefined && { context: { from: displayPhoneNumber, id: input.replyTo } }),
    from: input.from,
    id: messageId,
    timestamp: String(Math.floor((input.timestamp ?? Date.now()) / 1000)),
    type: 'text',
    text: { body: input.text },
  };
  const body = {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: input.wabaId ?? '100000000000001',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: displayPhoneNumber, phone_number_id: input.phoneNumberId ?? '100000000000002' },
              contacts: [{ profile: { name: input.name ?? 'Cliente' }, wa_id: input.from }],
              messages: [message],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
  const bytes = Buffer.from(metaWireStringify(body), 'utf8');
  return {
    path: '/webhooks/whatsapp',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(bytes, input.appSecret) },
    body: bytes,
    messageId,
  };
}

export interface EvolutionTextWebhookInput {
  secret: string;
  instance: string;
  /** Customer phone number, digits only. */
  from: string;
  text: string;
  name?: string;
  /** @default a fresh 32-character hex id (Android style), so every call is a new message */
  messageId?: string;
  /** Unix ms. @default Date.now() */
  timestamp?: number;
  /** Quoted message id (`contextInfo.stanzaId`). */
  replyTo?: string;
}

export function buildEvolutionTextWebhook(input: EvolutionTextWebhookInput): WebhookRequest {
  const messageId = input.messageId ?? randomBytes(16).toString('hex').toUpperCase();
  const timestamp = input.timestamp ?? Date.now();
  const body = {
    event: 'messages.upsert',
    instance: input.instance,
    data: {
      key: { remoteJid: `${input.from}@s.whatsapp.net`, fromMe: false, id: messageId, addressingMode: 'pn' },
      pushName: input.name ?? 'Cliente',
      status: 'DELIVERY_ACK',
      message: { conversation: input.text },
      ...(input.replyTo !== undefined && { contextInfo: { stanzaId: input.replyTo } }),
      messageType: 'conversation',
      messageTimestamp: Math.floor(timestamp / 1000),
      source: 'android',
    },
    destination: '/webhooks/evolution',
    date_time: new Date(timestamp).toISOString(),
    server_url: 'http://evolution-api:8080',
    apikey: null,
  };
  return {
    path: `/webhooks/evolution/${encodeURIComponent(input.instance)}`,
    headers: { 'content-type': 'application/json', apikey: input.secret },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
    messageId,
  };
}
