/**
 * The real thing over stdio: the client spawns `zapflow mcp-whatsapp` (node + tsx, from this checkout) with a
 * fake Meta on 127.0.0.1. The child is killed mid-call and restarted; its SQLite log keeps idempotency across
 * restarts; closing the client leaves no process behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bundledWhatsAppServer } from '../../../src/mcp/client/bundled-server.js';
import { WhatsAppMcpClient } from '../../../src/mcp/client/whatsapp-client.js';
import { McpConnectionError } from '../../../src/mcp/errors.js';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('MCP client ↔ `zapflow mcp-whatsapp` over stdio', () => {
  let meta: FakeProvider;
  let dataDir: string;
  let stderr = '';
  const clients: WhatsAppMcpClient[] = [];

  const newClient = (overrides: Record<string, string> = {}): WhatsAppMcpClient => {
    const client = new WhatsAppMcpClient({
      server: bundledWhatsAppServer({
        env: {},
        overrides: {
          META_ACCESS_TOKEN: FAKE_META_DEFAULTS.token, META_PHONE_NUMBER_ID: FAKE_META_DEFAULTS.phoneNumberId, META_GRAPH_URL: meta.url,
          ZAPFLOW_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...overrides,
        },
        onStderr: (chunk) => (stderr += chunk),
      }),
      callTimeoutMs: 8000,
    });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    meta = await startFakeMeta();
    dataDir = mkdtempSync(join(tmpdir(), 'zapflow-mcp-stdio-'));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    expect(meta.violations).toEqual([]);
  });
  afterAll(async () => {
    await meta.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends through the child, remembers the key after a restart, and leaves no process behind', async () => {
    const first = newClient();
    const input = { number: '+5511900000041', message: 'Novo atendimento: protocolo 2026000123', idempotencyKey: 'run-a/alert' };
    const sent = await first.sendTextMessage(input);
    const pid = first.serverPid as number;
    expect(pid).toBeGreaterThan(0);
    await first.close();
    expect(isRunning(pid)).toBe(false);

    const second = newClient();
    const again = await second.sendTextMessage(input);
    expect(again).toEqual({ ...sent, deduplicated: true });
    expect(second.serverPid).not.toBe(pid);
    expect(meta.accepted).toHaveLength(1);
  });

  it('reconnects to a fresh child after the server is killed mid-call', async () => {
    const client = newClient();
    await client.connect();
    const killedPid = client.serverPid as number;
    const before = meta.requests.length;
    meta.inject({ kind: 'hang' });
    const call = client.sendTextMessage({ number: '+5511900000042', message: 'Alerta', idempotencyKey: 'run-b/alert' });
    await meta.waitForRequests(before + 1);
    process.kill(killedPid, 'SIGKILL');
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect(error).toMatchObject({ code: 'MCP_CONNECTION_LOST', retryable: true });

    const retried = await client.sendTextMessage({ number: '+5511900000042', message: 'Alerta', idempotencyKey: 'run-b/alert' });
    expect(client.serverPid).not.toBe(killedPid);
    expect(retried.deduplicated).toBe(false);
    // The killed child never got Meta's answer, so only the retry's message counts as sent.
    expect(meta.accepted.filter((r) => (r.body as { to: string }).to === '5511900000042')).toHaveLength(1);
  });

  it('fails to connect with the server\'s own explanation when its configuration is wrong', async () => {
    const client = newClient({ META_PHONE_NUMBER_ID: '' });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpConnectionError);
    expect((error as Error).message).toContain('META_PHONE_NUMBER_ID');
    expect(stderr).toContain('half configured');
  });
});
