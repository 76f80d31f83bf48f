/**
 * Unauthenticated clients cannot pin memory or sockets: Meta bodies are buffered before their signature can
 * be checked, so the bytes buffered at once are capped (WEBHOOK_PENDING_BODIES_MB: 503 + Connection: close
 * beyond) and a request must arrive whole within HTTP_REQUEST_TIMEOUT_MS (headers within
 * HTTP_HEADERS_TIMEOUT_MS). Genuine webhooks keep being acked meanwhile.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../../helpers/service.js';

let service: TestService;
beforeAll(async () => {
  service = await startService({ HTTP_HEADERS_TIMEOUT_MS: '1500', HTTP_REQUEST_TIMEOUT_MS: '3000', WEBHOOK_PENDING_BODIES_MB: '2' });
});
afterAll(async () => service?.stop());

interface RawClient {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  closed: Promise<void>;
}

function rawClient(head: string, firstBodyBytes = 0): RawClient {
  const { port } = new URL(service.url);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(head);
  if (firstBodyBytes > 0) socket.write(Buffer.alloc(firstBodyBytes, 0x7b));
  return { socket, received: () => received, closed };
}

const FAKE_SIGNATURE = `sha256=${'ab'.repeat(32)}`;
const stalledBody = (length: number) =>
  `POST /webhooks/whatsapp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nX-Hub-Signature-256: ${FAKE_SIGNATURE}\r\nContent-Length: ${length}\r\n\r\n`;

async function until(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('slow and stalled unauthenticated requests', () => {
  it('caps the bytes of unverified bodies in flight: the one past the ceiling gets 503 + Connection: close, a real webhook still 200', async () => {
    const stalled = [rawClient(stalledBody(1_500_000), 1000), rawClient(stalledBody(1_500_000), 1000)];
    try {
      // Whichever arrived second would pass the 2 MiB ceiling.
      await until('one stalled body to be refused', () => stalled.some((c) => c.received().startsWith('HTTP/1.1 503')));
      const refused = stalled.find((c) => c.received().startsWith('HTTP/1.1 503'))!;
      expect(refused.received()).toMatch(/\r\nConnection: close\r\n/i);
      expect(refused.received()).toContain('WEBHOOK_BODIES_BUSY');
      await refused.closed;

      const genuine = await service.post(service.meta('5511987600001', 'segunda via do boleto, por favor'));
      expect(genuine.status).toBe(200);

      // The admitted one never finishes its body: the server gives up on it in seconds, not minutes.
      const admitted = stalled.find((c) => c !== refused)!;
      await admitted.closed;
      expect(admitted.received()).toMatch(/^(HTTP\/1\.1 408|$)/);

      // Its reservation is gone: another body of the same size is read (and refused for its signature).
      const after = rawClient(stalledBody(1_500_000));
      after.socket.end(Buffer.alloc(1_500_000, 0x20));
      await until('the answer to a complete body', () => after.received().startsWith('HTTP/1.1 '));
      expect(after.received()).toMatch(/^HTTP\/1\.1 401/);
    } finally {
      for (const client of stalled) client.socket.destroy();
    }
  });

  it('closes a connection whose headers never finish', async () => {
    const client = rawClient('POST /webhooks/whatsapp HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    await client.closed;
    expect(client.received()).toMatch(/^(HTTP\/1\.1 408|$)/);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
  });
});
