/**
 * The few Chatwoot Application API calls the agent bot makes, with the agent bot's access token
 * (`api_access_token` header). Paths and bodies as Chatwoot's controllers and swagger define them
 * (swagger/paths/application/conversation/…):
 *
 *   POST /api/v1/accounts/{a}/conversations/{c}/messages         { content, message_type: "outgoing", private }
 *   POST /api/v1/accounts/{a}/conversations/{c}/toggle_status    { status: "open" }            (bot handoff)
 *   POST /api/v1/accounts/{a}/conversations/{c}/toggle_priority  { priority: "urgent"|"high"|"medium"|"low" }  (Chatwoot ≥ 3.x)
 *   GET  /api/v1/accounts/{a}/conversations/{c}/labels           → { payload: [label…] }
 *   POST /api/v1/accounts/{a}/conversations/{c}/labels           { labels: [label…] } (REPLACES the list)
 *
 * `{c}` is the conversation's display id (the `id` in webhook payloads). Agent-bot tokens reach only the
 * endpoints in Chatwoot's BOT_ACCESSIBLE_ENDPOINTS: messages#create, conversations#toggle_status /
 * toggle_priority everywhere; conversation labels only since chatwoot#14655 (2026-06) — older versions
 * answer 401 there, which `ChatwootApiError.botNotAllowed` tells apart.
 *
 * Errors say whether retrying can help: network failures, timeouts, 408/429/5xx are retryable (the outbox
 * retries them for OUTBOX_RETRY_HOURS); other 4xx are not (the row becomes dead, visible in the admin API).
 */
import { excerpt, parseJsonBody } from '../provider-text.js';

export class ChatwootApiError extends Error {
  readonly code: string;
  constructor(
    code: 'CHATWOOT_UNREACHABLE' | 'CHATWOOT_TIMEOUT' | 'CHATWOOT_UNAVAILABLE' | 'CHATWOOT_RATE_LIMITED' | 'CHATWOOT_REJECTED' | 'CHATWOOT_AUTH' | 'CHATWOOT_NOT_FOUND' | 'CHATWOOT_BAD_RESPONSE' | 'CHATWOOT_NOTE_PENDING',
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.name = 'ChatwootApiError';
  }

  /** 401/403 on an endpoint the agent bot's token may not call on this Chatwoot version. */
  get botNotAllowed(): boolean {
    return this.httpStatus === 401 || this.httpStatus === 403;
  }
}

export interface ChatwootApiOptions {
  baseUrl: string;
  botToken: string;
  /** Per request. @default 8000 */
  timeoutMs?: number;
}

export interface ChatwootConversationRef {
  account: string;
  conversation: string;
}

export type ChatwootPriority = 'urgent' | 'high' | 'medium' | 'low';


export class ChatwootApi {
  private readonly timeoutMs: number;
  private readonly baseUrl: string;

  constructor(private readonly options: ChatwootApiOptions) {
    this.timeoutMs = options.timeoutMs ?? 8000;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** Posts a message in the conversation as the bot; returns Chatwoot's message id. */
  async createMessage(ref: ChatwootConversationRef, message: { content: string; private: boolean }): Promise<{ messageId: string }> {
    const body = await this.request('POST', ref, 'messages', { content: message.content, message_type: 'outgoing', private: message.private, content_type: 'text' });
    const id = (body as { id?: unknown } | undefined)?.id;
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw new ChatwootApiError('CHATWOOT_BAD_RESPONSE', 'Chatwoot answered the message create without an id; it may have been posted, so it is not retried automatically.', false);
    }
    return { messageId: String(id) };
  }

  async toggleStatus(ref: ChatwootConversationRef, status: 'open' | 'pending' | 'resolved'): Promise<{ currentStatus?: string }> {
    const body = await this.request('POST', ref, 'toggle_status', { status });
    const current = (body as { payload?: { current_status?: unknown } } | undefined)?.payload?.current_status;
    return typeof current === 'string' ? { currentStatus: current } : {};
  }

  async togglePriority(ref: ChatwootConversationRef, priority: ChatwootPriority): Promise<void> {
    await this.request('POST', ref, 'toggle_priority', { priority });
  }

  async labels(ref: ChatwootConversationRef): Promise<string[]> {
    const body = await this.request('GET', ref, 'labels');
    const payload = (body as { payload?: unknown } | undefined)?.payload;
    return Array.isArray(payload) ? payload.filter((label): label is string => typeof label === 'string') : [];
  }

  /** Sets the conversation's labels to exactly `labels` (Chatwoot replaces the list). */
  async setLabels(ref: ChatwootConversationRef, labels: string[]): Promise<void> {
    await this.request('POST', ref, 'labels', { labels });
  }

  private async request(method: 'GET' | 'POST', ref: ChatwootConversationRef, action: string, body?: unknown): Promise<unknown> {
    const url = `${this.baseUrl}/api/v1/accounts/${encodeURIComponent(ref.account)}/conversations/${encodeURIComponent(ref.conversation)}/${action}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { api_access_token: this.options.botToken, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        throw new ChatwootApiError('CHATWOOT_TIMEOUT', `Chatwoot did not answer ${action} within ${this.timeoutMs} ms; retrying can help.`, true, undefined, { cause: error });
      }
      const code = error instanceof Error ? (error.cause as { code?: unknown } | undefined)?.code : undefined;
      throw new ChatwootApiError('CHATWOOT_UNREACHABLE', `Chatwoot could not be reached (${typeof code === 'string' ? code : 'network error'}); retrying later can help.`, true, undefined, { cause: error });
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new ChatwootApiError('CHATWOOT_TIMEOUT', `Chatwoot started answering ${action} but the body did not arrive; retrying can help.`, true, response.status, { cause: error });
    }
    if (response.ok) return parseJsonBody(text);
    throw errorFor(action, response.status, text);
  }
}


function errorFor(action: string, status: number, text: string): ChatwootApiError {
  const prefix = `Chatwoot answered ${status} to ${action}: ${excerpt(text)}`;
  if (status === 429) return new ChatwootApiError('CHATWOOT_RATE_LIMITED', `${prefix} — rate limited; retrying later can help.`, true, status);
  if (status === 408 || status >= 500) return new ChatwootApiError('CHATWOOT_UNAVAILABLE', `${prefix} — Chatwoot had a problem; retrying later can help.`, true, status);
  if (status === 401 || status === 403) {
    return new ChatwootApiError('CHATWOOT_AUTH', `${prefix} — check CHATWOOT_BOT_TOKEN (the agent bot's access token) and that this Chatwoot version lets agent bots call ${action}.`, false, status);
  }
  if (status === 404) return new ChatwootApiError('CHATWOOT_NOT_FOUND', `${prefix} — the account or conversation does not exist (or this Chatwoot has no ${action}).`, false, status);
  return new ChatwootApiError('CHATWOOT_REJECTED', `${prefix} — the request was refused; retrying will not help.`, false, status);
}
