/**
 * Base of the fake WhatsApp providers (fake-meta.ts, fake-evolution.ts): a real HTTP server on 127.0.0.1 that
 * records every request, checks its shape through the provider-specific `answer`, and can be told to fail,
 * be slow, or hang for the next requests (fault injection). `accepted` = the messages a real provider would
 * have sent: requests it answered with 2xx.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** Status the fake answered with; undefined while hanging or when the client went away first. */
  status?: number;
  /** The provider message id given back (2xx only). */
  messageId?: string;
  /** `performance.now()` when the request's body had arrived (latency measurements). */
  receivedAt: number;
}

/** What to do with one upcoming request instead of the normal answer. */
export type Fault =
  | { kind: 'status'; status: number; body: unknown }
  | { kind: 'delay'; ms: number }
  /** Never answers (until the fake closes): a provider that took the request and stalled. */
  | { kind: 'hang' };

export interface ProviderAnswer {
  status: number;
  body: unknown;
  messageId?: string;
  /** Shape problems found in the request (each also makes the answer a 400). */
  violations?: string[];
}

export class FakeProvider {
  readonly requests: ReceivedRequest[] = [];
  /** Every shape/auth problem seen, with the request index: tests expect this to stay empty. */
  readonly violations: string[] = [];
  private readonly faults: Fault[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private server: Server | undefined;
  private baseUrl = '';

  constructor(private readonly answer: (request: ReceivedRequest) => ProviderAnswer) {}

  get url(): string {
    return this.baseUrl;
  }

  /** Requests answered 2xx: the messages a real provider would have put on WhatsApp. */
  get accepted(): ReceivedRequest[] {
    return this.requests.filter((r) => r.status !== undefined && r.status >= 200 && r.status < 300);
  }

  /** The next requests get these faults, in order; afterwards requests are answered normally. */
  inject(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  /** Resolves when at least `count` requests have arrived. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, receivedAt: performance.now() };
    const index = this.requests.push(request) - 1;
    for (const wake of this.waiters.splice(0)) wake();

    const fault = this.faults.shift();
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'delay') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          resolve();
        }, fault.ms);
        this.timers.add(timer);
      });
      if (res.destroyed || !this.server) return;
    }
    let status: number;
    let responseBody: unknown;
    if (fault?.kind === 'status') {
      status = fault.status;
      responseBody = fault.body;
    } else {
      const answer = this.answer(request);
      for (const violation of answer.violations ?? []) this.violations.push(`request #${index} ${request.method} ${request.path}: ${violation}`);
      status = answer.status;
      responseBody = answer.body;
      if (answer.messageId && status < 300) request.messageId = answer.messageId;
    }
    if (res.destroyed) return;
    request.status = status;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(responseBody));
  }
}
