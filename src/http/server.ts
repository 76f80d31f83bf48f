/**
 * The HTTP server around the express app: bounded request time, and a stop that is graceful under
 * keep-alive traffic.
 *
 * - Header and body timeouts of seconds (Node's defaults are 60 s and 300 s, checked every 30 s): a client
 *   that sends headers or a body slowly cannot hold a socket and its buffered bytes for minutes.
 * - `drain()`: stop listening, close idle keep-alive sockets, and answer any request that still arrives on an
 *   open socket with 503 + `Connection: close` (the provider delivers it again, to another instance or after
 *   the restart), so sustained keep-alive traffic cannot hold the stop open. Requests in flight finish within
 *   the grace period; past it, their sockets are closed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServerOptions {
  /** Longest wait for a request's headers. @default 10_000 */
  headersTimeoutMs?: number;
  /** Longest wait for a whole request (headers and body). @default 30_000 */
  requestTimeoutMs?: number;
  /** In-flight requests' time to finish once a drain starts; then their sockets are closed. @default 5000 */
  drainGraceMs?: number;
}

export interface HttpServer {
  readonly server: Server;
  listen(port: number, host: string): Promise<AddressInfo>;
  /** Stops accepting, closes idle sockets, lets requests in flight finish (bounded), resolves when closed. */
  drain(): Promise<void>;
}

export function createHttpServer(app: (req: IncomingMessage, res: ServerResponse) => void, options: HttpServerOptions = {}): HttpServer {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const graceMs = options.drainGraceMs ?? 5000;
  let draining = false;

  const answer = (req: IncomingMessage, res: ServerResponse) => {
    if (!draining) {
      app(req, res);
      return;
    }
    // Before express: no route, no body read. The body is discarded with the socket.
    res.writeHead(503, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close', 'Retry-After': '5' });
    res.end(JSON.stringify({ error: 'zapflow is shutting down; deliver this again in a few seconds.', code: 'SHUTTING_DOWN' }));
  };

  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // How often the two timeouts above are enforced (default 30 s would let them run that much over).
      connectionsCheckingInterval: Math.min(1000, headersTimeout, requestTimeout),
    },
    answer,
  );
  // Idle keep-alive sockets close a little after the default 5 s; never longer than a request may last.
  server.keepAliveTimeout = Math.min(5000, requestTimeout);

  return {
    server,
    listen(port, host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    drain() {
      draining = true;
      if (!server.listening) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Sockets between requests: closed now. Sockets with a request under way get `Connection: close` on
        // their next request (above), or are closed when the grace period ends.
        server.closeIdleConnections();
      });
    },
  };
}
