/**
 * A real zapflow service for tests: createApp on 127.0.0.1 (free port), SQLite in a temp dir, the
 * embedded model, and the in-process WhatsApp MCP server with the dry-run sender — so what "WhatsApp" got
 * is read from its sent-message log, like the demo shows it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App, type AppOverrides } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/logging.js';
import type { SentMessageRecord } from '../../src/mcp/index.js';
import { buildEvolutionTextWebhook, buildMetaTextWebhook, type WebhookRequest } from '../../src/webhooks/sign.js';
import { embeddedModel } from './workflow-deps.js';

export const SECRETS = {
  metaAppSecret: 'test-app-secret',
  metaVerifyToken: 'test-verify-token',
  evolutionSecret: 'test-evolution-secret',
  adminToken: 'admin-token-for-tests-0123',
};
export const AGENTS = ['5511900000090', '5511900000091'];

export interface TestService {
  app: App;
  url: string;
  dataDir: string;
  post(request: WebhookRequest): Promise<Response>;
  meta(from: string, text: string, extra?: { name?: string; messageId?: string; timestamp?: number }): WebhookRequest;
  evolution(from: string, text: string, extra?: { name?: string; messageId?: string; timestamp?: number; instance?: string }): WebhookRequest;
  admin(path: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  /** Everything the WhatsApp sender recorded (dry-run keeps the text). */
  sent(): Promise<SentMessageRecord[]>;
  stop(): Promise<void>;
}

export function serviceEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ZAPFLOW_DATA_DIR: dataDir,
    WHATSAPP_APP_SECRET: SECRETS.metaAppSecret,
    WHATSAPP_VERIFY_TOKEN: SECRETS.metaVerifyToken,
    EVOLUTION_WEBHOOK_SECRET: SECRETS.evolutionSecret,
    ADMIN_TOKEN: SECRETS.adminToken,
    AGENT_ALERT_NUMBERS: AGENTS.join(','),
    COALESCE_WINDOW_MS: '150',
    ...extra,
  };
}

export interface StartServiceOptions {
  /**
   * `thread`: the processing side in its worker thread, as `zapflow serve` runs it (it loads its own
   * embedded model). Default `inline`, sharing the test process's already-trained model.
   */
  processing?: 'inline' | 'thread';
  /** Agents' phones (inline only). */
  agentDirectory?: AppOverrides['agentDirectory'];
  /** The model of every agent (inline only). @default the bundled embedded model, shared by the tests */
  model?: AppOverrides['model'];
}

export async function startService(extraEnv: Record<string, string> = {}, options: StartServiceOptions = {}): Promise<TestService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-service-'));
  const config = loadConfig(serviceEnv(dataDir, extraEnv), { purpose: 'serve' });
  const app = await createApp(
    config,
    options.processing === 'thread'
      ? { logger: silentLogger, processing: 'thread' }
      : { logger: silentLogger, model: options.model ?? embeddedModel(), ...(options.agentDirectory ? { agentDirectory: options.agentDirectory } : {}) },
  );
  const url = await app.start();
  const post = (request: WebhookRequest) => fetch(`${url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
  return {
    app,
    url,
    dataDir,
    post,
    meta: (from, text, extra = {}) => buildMetaTextWebhook({ appSecret: SECRETS.metaAppSecret, from, text, ...extra }),
    evolution: (from, text, extra = {}) => buildEvolutionTextWebhook({ secret: SECRETS.evolutionSecret, instance: extra.instance ?? 'loja', from, text, ...extra }),
    admin: (path, init = {}) =>
      fetch(`${url}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${SECRETS.adminToken}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      }),
    sent: async () => (await app.whatsapp?.log.list({ limit: 1000 })) ?? [],
    async stop() {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Sent messages to one number, oldest first. */
export function sentTo(records: SentMessageRecord[], phone: string): SentMessageRecord[] {
  return records.filter((r) => r.recipient.replace(/\D/g, '') === phone).sort((a, b) => a.createdAt - b.createdAt);
}
