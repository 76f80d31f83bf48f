/**
 * The WhatsApp MCP server (Streamable HTTP, on a port this test owns) is down when the service starts, then
 * comes up, then hangs every tool call, then recovers. Through all of it: webhooks are acked and stored,
 * `/readyz` says `degraded` and why (the why only to the admin token), no alert or reply becomes `dead`,
 * and everything waiting is delivered once the server answers.
 */
import { createServer, type Server } from 'node:http';
import { freePort } from '../../helpers/serve-process.js';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DryRunSender, MemorySentMessageLog, TextMessageService, createWhatsAppMcpServer, mountWhatsAppMcp } from '../../../src/mcp/index.js';
import type { MountedWhatsAppMcp, OutgoingText, SentText, WhatsAppSender } from '../../../src/mcp/index.js';
import { AGENTS, SECRETS, startService, type TestService } from '../../helpers/service.js';

const MCP_TOKEN = 'mcp-outage-token-0123456789';

/** A dry-run sender whose sends can be made to hang (the provider behind the MCP server stops answering). */
class HangableSender implements WhatsAppSender {
  hang = false;
  private readonly inner = new DryRunSender();
  private readonly hanging: Array<() => void> = [];
  get provider() {
    return this.inner.provider;
  }
  async sendText(message: OutgoingText): Promise<SentText> {
    if (this.hang) await new Promise<void>((resolve) => this.hanging.push(resolve));
    return this.inner.sendText(message);
  }
  release(): void {
    for (const resolve of this.hanging.splice(0)) resolve();
  }
}

/** The MCP server on a fixed port, started and stopped by the test. */
class McpServerUnderTest {
  readonly sender = new HangableSender();
  readonly log = new MemorySentMessageLog();
  private http: Server | undefined;
  private mounted: MountedWhatsAppMcp | undefined;
  constructor(readonly port: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}/mcp`;
  }
  async start(): Promise<void> {
    const service = new TextMessageService({ sender: this.sender, log: this.log });
    const app = express();
    this.mounted = mountWhatsAppMcp(app, { token: MCP_TOKEN, createServer: () => createWhatsAppMcpServer(service) });
    const http = createServer(app);
    this.http = http;
    await new Promise<void>((resolve) => http.listen(this.port, '127.0.0.1', resolve));
  }
  async stop(): Promise<void> {
    const http = this.http;
    this.http = undefined;
    this.sender.release();
    await this.mounted?.close();
    if (http) await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let mcpServer: McpServerUnderTest;
let service: TestService;
beforeAll(async () => {
  mcpServer = new McpServerUnderTest(await freePort());
  // The MCP server is NOT running: the service must start anyway.
  service = await startService({ MCP_SERVER: mcpServer.url, MCP_HTTP_TOKEN: MCP_TOKEN, MCP_CALL_TIMEOUT_MS: '1000', COALESCE_WINDOW_MS: '20' });
}, 60_000);
afterAll(async () => {
  await service?.stop();
  await mcpServer?.stop();
});

const readiness = async (token?: string) => {
  const response = await fetch(`${service.url}/readyz`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, body: (await response.json()) as { status: string; checks: Record<string, string> } };
};
const sentTo = async (phone: string) => (await mcpServer.log.list({ limit: 1000 })).filter((r) => r.recipient.replace(/\D/g, '') === phone);

describe('an MCP server outage', () => {
  it('down at boot: intake starts and stores, /readyz is degraded with the reason for the admin only, nothing dies; delivered once it is up', async () => {
    const anonymous = await readiness();
    expect(anonymous).toMatchObject({ status: 200, body: { status: 'degraded', checks: { storage: 'ok', mcp: 'failing' } } });
    const detailed = await readiness(SECRETS.adminToken);
    expect(detailed.body.checks.mcp).toMatch(/degraded: WhatsApp MCP server unreachable/);

    const escalation = await service.post(service.meta('5511987700001', 'fiz um pix de R$ 5.000 que não caiu, quero falar com um atendente agora'));
    const question = await service.post(service.meta('5511987700002', 'como faço pra pedir a segunda via do boleto?'));
    expect([escalation.status, question.status]).toEqual([200, 200]);

    // Both turns run and enqueue their alert / reply; none is delivered, none is dead.
    await until('the alert and the reply to be enqueued', async () => ((await service.app.storage.countOutbox('pending')) >= 3 ? true : undefined));
    expect(await service.app.storage.countOutbox('dead')).toBe(0);

    await mcpServer.start();
    await until('the customer reply to be delivered', async () => ((await sentTo('5511987700002')).length > 0 ? true : undefined));
    await until('the agents to be alerted', async () => ((await sentTo(AGENTS[0]!)).length > 0 ? true : undefined));
    await until('every row to be delivered', async () => ((await service.app.storage.countOutbox('pending')) === 0 ? true : undefined));
    expect(await service.app.storage.countOutbox('dead')).toBe(0);
    expect(await readiness()).toMatchObject({ status: 200, body: { status: 'ready', checks: { storage: 'ok', mcp: 'ok' } } });
  }, 120_000);

  it('every tool call timing out: /readyz goes degraded; the replies go out once the provider answers again', async () => {
    mcpServer.sender.hang = true;
    for (let i = 0; i < 3; i++) {
      expect((await service.post(service.meta(`55119877001${i}0`, 'qual o horário de atendimento?'))).status).toBe(200);
    }
    const degraded = await until('readiness to say degraded', async () => {
      const report = await readiness(SECRETS.adminToken);
      return report.body.status === 'degraded' ? report : undefined;
    });
    expect(degraded.status).toBe(200);
    expect(degraded.body.checks.mcp).toMatch(/MCP_TIMEOUT/);
    expect(await service.app.storage.countOutbox('dead')).toBe(0);

    mcpServer.sender.hang = false;
    mcpServer.sender.release();
    await until('the replies to be delivered', async () => ((await service.app.storage.countOutbox('pending')) === 0 ? true : undefined), 90_000);
    for (let i = 0; i < 3; i++) expect((await sentTo(`55119877001${i}0`)).length).toBe(1);
    expect(await service.app.storage.countOutbox('dead')).toBe(0);
    await until('readiness to say ready', async () => ((await readiness()).body.status === 'ready' ? true : undefined));
  }, 150_000);
});
