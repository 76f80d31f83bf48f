/**
 * Evolution API (v2) sender: `POST {baseUrl}/message/sendText/{instance}` with the `apikey` header and
 * `{ number, text }`. The answer's `key.id` is the WhatsApp message id.
 */
import { WhatsAppSendError } from '../errors.js';
import { excerpt } from '../../provider-text.js';
import { joinUrl, postJson } from './http.js';
import type { OutgoingText, SentText, WhatsAppSender } from './types.js';

export interface EvolutionSenderOptions {
  /** Where the Evolution API listens, e.g. `http://evolution-api:8080`. */
  baseUrl: string;
  apiKey: string;
  /** The instance (connected WhatsApp number) messages are sent from; overridable per call. */
  instance: string;
  /** Per-request timeout. Keep it below the MCP client's call timeout. @default 8000 */
  timeoutMs?: number;
}

export class EvolutionSender implements WhatsAppSender {
  readonly provider = 'evolution' as const;
  private readonly timeoutMs: number;

  constructor(private readonly options: EvolutionSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 8000;
  }

  async sendText(message: OutgoingText): Promise<SentText> {
    const instance = message.instance ?? this.options.instance;
    if (message.to.kind === 'bsuid') {
      throw new WhatsAppSendError(
        'UNSUPPORTED_RECIPIENT',
        'A Meta business-scoped user id (BSUID) can only be messaged through the Meta Cloud API sender; Evolution needs a phone number or a JID. Retrying will not help.',
        false,
      );
    }
    const number = message.to.kind === 'phone' ? message.to.digits : message.to.jid;
    const response = await postJson(
      joinUrl(this.options.baseUrl, `message/sendText/${encodeURIComponent(instance)}`),
      { apikey: this.options.apiKey },
      { number, text: message.text },
      this.timeoutMs,
      'Evolution API',
    );
    if (response.status >= 200 && response.status < 300) {
      const id = (response.body as { key?: { id?: unknown } } | undefined)?.key?.id;
      if (typeof id !== 'string' || id.length === 0) {
        throw new WhatsAppSendError(
          'PROVIDER_BAD_RESPONSE',
          `Evolution API answered ${response.status} without key.id (${excerpt(response.text)}); the message may have been sent, so it is not retried automatically.`,
          false, { httpStatus: response.status },
        );
      }
      return { messageId: id, status: 'accepted', instance };
    }
    throw mapEvolutionError(response.status, response.body, response.text, instance);
  }
}

/** Maps a non-2xx Evolution answer to an error that says whether retrying can help. Exported for tests. */
export function mapEvolutionError(httpStatus: number, body: unknown, text: string, instance: string): WhatsAppSendError {
  const prefix = `Evolution API answered ${httpStatus}: ${excerpt(text)}`;
  const details = { httpStatus };
  if (httpStatus === 429) return new WhatsAppSendError('RATE_LIMITED', `${prefix} — rate limited; retrying later can help.`, true, details);
  if (httpStatus >= 500) {
    return new WhatsAppSendError('PROVIDER_UNAVAILABLE', `${prefix} — Evolution or its WhatsApp session had a problem; retrying later can help.`, true, details);
  }
  if (httpStatus === 401 || httpStatus === 403) {
    return new WhatsAppSendError('PROVIDER_AUTH', `${prefix} — check EVOLUTION_API_KEY; retrying will not help.`, false, details);
  }
  if (httpStatus === 404) {
    return new WhatsAppSendError(
      'PROVIDER_REJECTED',
      `${prefix} — instance "${instance}" was not found; check EVOLUTION_INSTANCE. Retrying will not help.`,
      false, details,
    );
  }
  if (httpStatus === 400 && numberDoesNotExist(body)) {
    return new WhatsAppSendError('INVALID_RECIPIENT', 'Evolution API says the number is not on WhatsApp (exists: false); retrying will not help.', false, details);
  }
  return new WhatsAppSendError('PROVIDER_REJECTED', `${prefix} — the request was refused; retrying will not help.`, false, details);
}

/** Evolution's answer for a number without WhatsApp: `{ response: { message: [{ exists: false, … }] } }`. */
function numberDoesNotExist(body: unknown): boolean {
  const items = (body as { response?: { message?: unknown } } | undefined)?.response?.message;
  return Array.isArray(items) && items.some((item) => typeof item === 'object' && item !== null && (item as { exists?: unknown }).exists === false);
}
