/**
 * The express app of the service: request ids and access logs, webhooks (Meta, Evolution) feeding the
 * inbox, the WhatsApp MCP server over Streamable HTTP at /mcp (when a token is configured), the admin API,
 * health probes and Prometheus metrics. Routes only; the composition root (src/app.ts) gives the parts.
 */
import express, { type Express } from 'express';
import type { Config } from '../config.js';
import type { AgentActions } from '../service/agent-actions.js';
import type { ConversationLifecycle } from '../service/lifecycle.js';
import type { ServiceStore } from '../conversations/store/types.js';
import type { Storage } from '../engine/index.js';
import type { Logger } from '../logging.js';
import { mountWhatsAppMcp, type MountedWhatsAppMcp } from '../mcp/index.js';
import type { InProcessWhatsApp } from '../mcp/index.js';
import { createWhatsAppMcpServer } from '../mcp/index.js';
import { createWebhookRouter } from '../webhooks/index.js';
import type { AcceptedBatch } from '../webhooks/types.js';
import { createConsoleRouter, type ConsoleDeps } from '../console/router.js';
import { createAdminRouter } from './admin/index.js';
import type { AdminWorkflowsPort } from './admin/ports.js';
import { requireBearerToken } from './auth.js';
import { createHealthRouter } from './health.js';
import type { Metrics } from './metrics.js';
import { requestIdMiddleware } from './request-id.js';

export interface HttpAppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  storage: Storage;
  serviceStore: ServiceStore;
  lifecycle: ConversationLifecycle;
  /** Claim, reply, release, resolve, corrections, audit (the admin API and the console share it). */
  actions: AgentActions;
  /** Admin-started runs and reruns (the processing side, in this thread or its own). */
  workflows: AdminWorkflowsPort;
  intake: (batch: AcceptedBatch) => Promise<unknown>;
  kickOutbox: () => void;
  ready: Record<string, () => Promise<void>>;
  /** The in-process WhatsApp MCP service, to expose at /mcp for other MCP clients. */
  whatsapp?: InProcessWhatsApp;
  /** The console at /console and per-user API tokens (absent: no console). */
  console?: Omit<ConsoleDeps, 'storage' | 'serviceStore' | 'workflows' | 'kickOutbox' | 'logger'>;
}

export interface HttpApp {
  app: Express;
  close(): Promise<void>;
}

export function createHttpApp(deps: HttpAppDeps): HttpApp {
  const { config, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestIdMiddleware({ logger, quietAnswer: (req, status) => req.method === 'POST' && status < 300 && req.path.startsWith('/webhooks/') }));
  // Dry-run is a legitimate mode (demo, staging) but a silent one: probes say so, next to the checks.
  app.use(createHealthRouter({
    checks: deps.ready,
    degradedOnly: ['mcp'],
    ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    details: {
      whatsappSender: config.sender.kind,
      ...(config.sender.kind === 'dry-run' && !config.chatwoot && { whatsappDryRun: 'replies and alerts are recorded, not sent: no Meta or Evolution credentials' }),
      ...(config.chatwoot && { chatwoot: 'agent bot: replies and handoffs go through Chatwoot\'s API' }),
    },
  }));
  // Metrics name no customer, but tell anyone how busy the service is: with METRICS_TOKEN, only its bearer.
  if (config.http.metricsToken) app.get('/metrics', requireBearerToken({ token: config.http.metricsToken, realm: 'zapflow-metrics', setting: 'METRICS_TOKEN', logger }), metrics.metricsHandler);
  else app.get('/metrics', metrics.metricsHandler);
  // A worker process serves its probes and metrics only: webhooks, admin and /mcp belong to web processes.
  const servesRequests = config.role !== 'worker';

  if (servesRequests && (config.webhooks.metaAppSecret || config.webhooks.evolutionSecret || config.chatwoot)) {
    app.use(metrics.webhookMetricsMiddleware);
    app.use(
      createWebhookRouter({
        ...(config.webhooks.metaAppSecret && config.webhooks.metaVerifyToken
          ? { meta: { appSecret: config.webhooks.metaAppSecret, verifyToken: config.webhooks.metaVerifyToken } }
          : {}),
        ...(config.webhooks.evolutionSecret ? { evolution: { secret: config.webhooks.evolutionSecret } } : {}),
        ...(config.chatwoot
          ? { chatwoot: { token: config.chatwoot.webhookToken, ...(config.chatwoot.signingSecret ? { signingSecret: config.chatwoot.signingSecret } : {}) } }
          : {}),
        accept: async (batch) => void (await deps.intake(batch)),
        // fromMe messages come in so that an agent answering from the business phone takes the conversation.
        ignore: { fromMe: false, groups: config.webhooks.ignoreGroups, reactions: config.webhooks.ignoreReactions },
        unverifiedBodyBytes: config.http.pendingBodiesBytes,
        logger,
      }),
    );
  }

  let mcpMount: MountedWhatsAppMcp | undefined;
  if (servesRequests && config.mcp.httpToken && deps.whatsapp) {
    const service = deps.whatsapp.service;
    mcpMount = mountWhatsAppMcp(app, {
      token: config.mcp.httpToken,
      createServer: () => createWhatsAppMcpServer(service, { logger }),
      logger,
      allowedOrigins: config.mcp.allowedOrigins,
    });
  }

  if (servesRequests && deps.console) {
    app.use(createConsoleRouter({
      ...deps.console, storage: deps.storage, serviceStore: deps.serviceStore, workflows: deps.workflows, kickOutbox: deps.kickOutbox, logger,
    }));
  }

  if (servesRequests && (config.adminToken || deps.console)) {
    app.use(
      createAdminRouter({
        ...(config.adminToken ? { adminToken: config.adminToken } : {}),
        ...(deps.console ? { people: deps.console.people } : {}),
        storage: deps.storage,
        serviceStore: deps.serviceStore,
        lifecycle: deps.lifecycle,
        actions: deps.actions,
        slaMinutes: config.sla.minutes,
        kickOutbox: deps.kickOutbox,
        logger,
        workflows: deps.workflows,
      }),
    );
  }

  return {
    app,
    async close() {
      await mcpMount?.close();
    },
  };
}
