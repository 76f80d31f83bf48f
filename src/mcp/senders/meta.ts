/**
 * Meta WhatsApp Cloud API sender: `POST {graphUrl}/{version}/{phoneNumberId}/messages` with a bearer token.
 * Graph API errors (`{ error: { code, message, … } }`) are mapped to retryable or not by their `code`, which
 * Meta recommends over titles or HTTP status alone.
 */
import { WhatsAppSendError } from '../errors.js';
import { excerpt } from '../../provider-text.js';
import { joinUrl, postJson } from './http.js';
import type { OutgoingText, SentText, WhatsAppSender } from './types.js';

export interface MetaSenderOptions {
  accessToken: string;
  /** The business phone number id messages are sent from (overridable per call with `instance`). */
  phoneNumberId: string;
  /** @default 'https://graph.facebook.com' */
  graphUrl?: string;
  /** @default 'v21.0' */
  apiVersion?: string;
  /** Per-request timeout. Keep it below the MCP client's call timeout so callers get this clear error. @default 8000 */
  timeoutMs?: number;
}

/** Graph codes meaning "slow down": throughput (130429), pair rate (131056), spam limit (131048), app/user limits. */
const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 80007, 130429, 131048, 131056]);
/** Graph codes meaning "Meta had a problem": unknown/service errors, maintenance. */
const TRANSIENT_CODES = new Set([1, 2, 131000, 131016, 131057, 133004]);
/** Graph codes meaning the token cannot do this: expired/invalid token, missing permission. */
const AUTH_CODES = new Set([0, 3, 10, 190]);
/** Graph codes about the recipient: not in the test allow-list, undeliverable, or the sender itself. */
const RECIPIENT_CODES = new Set([131021, 131026, 131030]);
/** More than 24 h since the recipient last wrote: Meta only accepts template messages until they write again. */
const OUTSIDE_WINDOW_CODE = 131047;

interface GraphError {
  code?: number;
  message?: string;
  error_subcode?: number;
  error_data?: { details?: string };
}

export class MetaCloudSender implements WhatsAppSender {
  readonly provider = 'meta' as const;
  private readonly graphUrl: string;
  private readonly apiVersion: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: MetaSenderOptions) {
    this.graphUrl = options.graphUrl ?? 'https://graph.facebook.com';
    this.apiVersion = options.apiVersion ?? 'v21.0';
    this.timeoutMs = options.timeoutMs ?? 8000;
  }

  async sendText(message: OutgoingText): Promise<SentText> {
    if (message.to.kind !== 'phone' && message.to.kind !== 'bsuid') {
      throw new WhatsAppSendError(
        'UNSUPPORTED_RECIPIENT',
        `The Meta Cloud API sender only sends to individual phone numbers or business-scoped user ids, not to a ${message.to.kind === 'group' ? 'group' : '@lid'} id; ` +
          'use an E.164 number or the Evolution sender. Retrying will not help.',
        false,
      );
    }
    // A customer known only by a BSUID (WhatsApp username, phone hidden) is addressed with `recipient`, not `to`.
    const address = message.to.kind === 'phone' ? { to: message.to.digits } : { recipient: message.to.id };
    const phoneNumberId = message.instance ?? this.options.phoneNumberId;
    const url = joinUrl(this.graphUrl, `${encodeURIComponent(this.apiVersion)}/${encodeURIComponent(phoneNumberId)}/messages`);
    const response = await postJson(
      url,
      { authorization: `Bearer ${this.options.accessToken}` },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        ...address,
        type: 'text',
        text: { preview_url: false, body: message.text },
      },
      this.timeoutMs,
      'Meta Cloud API',
    );
    if (response.status >= 200 && response.status < 300) {
      const messageId = readMessageId(response.body);
      if (!messageId) {
        throw new WhatsAppSendError(
          'PROVIDER_BAD_RESPONSE',
          `Meta Cloud API answered ${response.status} without messages[0].id (${excerpt(response.text)}); the message may have been sent, so it is not retried automatically.`,
          false, { httpStatus: response.status },
        );
      }
      return { messageId, status: 'accepted', instance: phoneNumberId };
    }
    throw mapGraphError(response.status, response.body, response.text);
  }
}

function readMessageId(body: unknown): string | undefined {
  const messages = (body as { messages?: Array<{ id?: unknown }> } | undefined)?.messages;
  const id = Array.isArray(messages) ? messages[0]?.id : undefined;
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

/** Maps a non-2xx Graph answer to an error that says whether retrying can help. Exported for tests. */
export function mapGraphError(httpStatus: number, body: unknown, text: string): WhatsAppSendError {
  const graph = (body as { error?: GraphError } | undefined)?.error;
  const code = typeof graph?.code === 'number' ? graph.code : undefined;
  const said = graph?.message ? `${graph.message}${graph.error_data?.details ? ` (${graph.error_data.details})` : ''}` : excerpt(text);
  const details = { httpStatus, ...(code !== undefined ? { providerCode: code } : {}) };
  const prefix = `Meta Cloud API answered ${httpStatus}${code !== undefined ? ` (code ${code})` : ''}: ${said}`;

  if (httpStatus === 429 || (code !== undefined && RATE_LIMIT_CODES.has(code))) {
    return new WhatsAppSendError('RATE_LIMITED', `${prefix} — rate limited; retrying later can help.`, true, details);
  }
  if (httpStatus >= 500 || (code !== undefined && TRANSIENT_CODES.has(code))) {
    return new WhatsAppSendError('PROVIDER_UNAVAILABLE', `${prefix} — a temporary Meta problem; retrying later can help.`, true, details);
  }
  if (httpStatus === 401 || httpStatus === 403 || (code !== undefined && AUTH_CODES.has(code))) {
    return new WhatsAppSendError('PROVIDER_AUTH', `${prefix} — check META_ACCESS_TOKEN and its permissions; retrying will not help.`, false, details);
  }
  if (code === OUTSIDE_WINDOW_CODE) {
    return new WhatsAppSendError(
      'PROVIDER_REJECTED',
      `${prefix} — the recipient has not written in the last 24 hours, so Meta only accepts template messages; retrying will not help.`,
      false, details,
    );
  }
  if (code !== undefined && RECIPIENT_CODES.has(code)) {
    return new WhatsAppSendError('INVALID_RECIPIENT', `${prefix} — the recipient cannot receive this message; retrying will not help.`, false, details);
  }
  return new WhatsAppSendError('PROVIDER_REJECTED', `${prefix} — the request was refused; retrying will not help.`, false, details);
}
