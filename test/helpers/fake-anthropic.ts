/**
 * A fake Anthropic Messages API on 127.0.0.1 (random port) speaking the real wire format, so tests drive the REAL
 * @anthropic-ai/sdk through `baseURL`. Each test scripts the replies in order (`script(...)`) and asserts on the
 * requests it recorded (headers, model, system blocks, tools, tool_choice, messages).
 *
 *   const fake = await FakeAnthropic.start();
 *   fake.script(toolAnswer({ id: 'x' }), errorReply(429, 'rate_limit_error', { 'retry-after': '0.01' }));
 *   ... new Anthropic({ baseURL: fake.baseURL, apiKey: 'test-key' }) ...
 *   await fake.close();
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: MessagesRequestBody | undefined;
}

/** The parts of a Messages request the tests look at (the wire format, snake_case). */
export interface MessagesRequestBody {
  model: string;
  max_tokens: number;
  system?: string | Array<{ type: string; text: string; cache_control?: { type: string } }>;
  messages: Array<{ role: string; content: string | Array<Record<string, unknown>> }>;
  tools?: Array<{ name: string; description?: string; input_schema: Record<string, unknown> }>;
  tool_choice?: { type: string; name?: string; disable_parallel_tool_use?: boolean };
  [key: string]: unknown;
}

export interface WireUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export type FakeReply =
  /** A message whose content is one tool_use block (named after the request's forced tool unless `toolName`). */
  | { kind: 'tool_use'; input: unknown; toolName?: string; usage?: Partial<WireUsage>; stopReason?: string; delayMs?: number }
  /** A message whose content is one text block (the model ignored the forced tool). */
  | { kind: 'text'; text: string; usage?: Partial<WireUsage>; delayMs?: number }
  /** An error response with Anthropic's error body. */
  | { kind: 'error'; status: number; errorType: string; message?: string; headers?: Record<string, string>; delayMs?: number }
  /** A raw body (e.g. not JSON) with a status. */
  | { kind: 'raw'; status: number; body: string; contentType?: string; delayMs?: number };

export type ScriptedReply = FakeReply | ((request: RecordedRequest) => FakeReply);

export const toolAnswer = (input: unknown, extra: Partial<Extract<FakeReply, { kind: 'tool_use' }>> = {}): FakeReply => ({
  kind: 'tool_use',
  input,
  ...extra,
});
export const textAnswer = (text: string): FakeReply => ({ kind: 'text', text });
export const errorReply = (status: number, errorType: string, headers: Record<string, string> = {}): FakeReply => ({
  kind: 'error',
  status,
  errorType,
  message: `fake ${errorType}`,
  headers,
});
export const slow = (delayMs: number, reply: FakeReply): FakeReply => ({ ...reply, delayMs });

/**
 * The API key a request carried. The API takes it as `x-api-key`; SDK 1.x sends it as `Authorization: Bearer <key>`
 * instead, so both are read.
 */
export function apiKeyOf(request: RecordedRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string') return header;
  const authorization = request.headers.authorization;
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

export class FakeAnthropic {
  /** Every request received, in order (also the ones still being answered slowly). */
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private fallback: ((request: RecordedRequest) => FakeReply) | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private counter = 0;

  private readonly server: Server;
  private url = '';

  private constructor(
    /** When set, requests whose API key (see `apiKeyOf`) differs get a 401 authentication_error. */
    private readonly requiredApiKey: string | undefined,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  static async start(options: { requiredApiKey?: string } = {}): Promise<FakeAnthropic> {
    const fake = new FakeAnthropic(options.requiredApiKey);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Pass as the SDK's `baseURL`. */
  get baseURL(): string {
    return this.url;
  }

  /** Appends replies, consumed one per request in order. An unscripted request gets a non-retryable 500. */
  script(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Answers every request the script does not cover (a model that keeps answering, for service-level tests). */
  otherwise(reply: (request: RecordedRequest) => FakeReply): this {
    this.fallback = reply;
    return this;
  }

  /** Replies still waiting for a request (tests assert 0 to prove every scripted reply was used). */
  get pending(): number {
    return this.queue.length;
  }

  /** The bodies of the Messages requests received, in order. */
  get bodies(): MessagesRequestBody[] {
    return this.requests.map((request) => request.body).filter((body): body is MessagesRequestBody => body !== undefined);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: MessagesRequestBody | undefined;
      try {
        body = JSON.parse(raw) as MessagesRequestBody;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', headers: req.headers, body };
      this.requests.push(recorded);
      this.answer(recorded, res);
    });
  }

  private answer(request: RecordedRequest, res: ServerResponse): void {
    const requestId = `req_fake_${++this.counter}`;
    if (request.method !== 'POST' || request.path !== '/v1/messages') {
      return send(res, 404, errorBody('not_found_error', `fake server: no route ${request.method} ${request.path}`), requestId);
    }
    if (this.requiredApiKey !== undefined && apiKeyOf(request) !== this.requiredApiKey) {
      return send(res, 401, errorBody('authentication_error', 'invalid x-api-key'), requestId);
    }
    if (!request.body) return send(res, 400, errorBody('invalid_request_error', 'body is not JSON'), requestId);
    const next = this.queue.shift() ?? this.fallback;
    if (!next) {
      // x-should-retry: false so the SDK does not hide the missing script behind retries.
      return send(res, 500, errorBody('api_error', 'fake server: no scripted reply left'), requestId, { 'x-should-retry': 'false' });
    }
    const reply = typeof next === 'function' ? next(request) : next;
    const deliver = (): void => this.deliver(reply, request.body!, res, requestId);
    if (!reply.delayMs) return deliver();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!res.destroyed) deliver();
    }, reply.delayMs);
    this.timers.add(timer);
    // The client gave up (timeout, abort): stop the pending answer instead of holding a timer open.
    res.on('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }

  private deliver(reply: FakeReply, body: MessagesRequestBody, res: ServerResponse, requestId: string): void {
    switch (reply.kind) {
      case 'error':
        return send(res, reply.status, errorBody(reply.errorType, reply.message ?? reply.errorType), requestId, reply.headers);
      case 'raw':
        res.writeHead(reply.status, { 'content-type': reply.contentType ?? 'text/html', 'request-id': requestId });
        res.end(reply.body);
        return;
      case 'text':
        return send(res, 200, message(body, requestId, [{ type: 'text', text: reply.text, citations: null }], 'end_turn', reply.usage), requestId);
      case 'tool_use': {
        const name = reply.toolName ?? body.tool_choice?.name ?? 'tool';
        const block = { type: 'tool_use', id: `toolu_fake_${this.counter}`, name, input: reply.input, caller: { type: 'direct' } };
        return send(res, 200, message(body, requestId, [block], reply.stopReason ?? 'tool_use', reply.usage), requestId);
      }
    }
  }
}

function message(body: MessagesRequestBody, requestId: string, content: unknown[], stopReason: string, usage: Partial<WireUsage> = {}) {
  return {
    id: `msg_${requestId}`,
    type: 'message',
    role: 'assistant',
    model: body.model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    stop_details: null,
    container: null,
    diagnostics: null,
    usage: {
      input_tokens: 100,
      output_tokens: 20,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: null,
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
      ...usage,
    },
  };
}

function errorBody(type: string, message: string) {
  return { type: 'error', error: { type, message }, request_id: null };
}

function send(res: ServerResponse, status: number, payload: unknown, requestId: string, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'request-id': requestId,
    ...headers,
  });
  res.end(text);
}
