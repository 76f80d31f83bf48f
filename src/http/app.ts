/**
 * The express app of the service: request ids and access logs, webhooks (Meta, Evolution) feeding the
 * inbox, the WhatsApp MCP server over Streamable HTTP at /mcp (when a token is configured), the admin API,
 * health probes and Prometheus metrics. Routes only; the composition root (src/app.ts) gives the parts.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import type { Config } from '../config.js';
import type { ConversationLifecycle } from '../conversations/lifecycle.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { UnknownStepError, type Storage } from '../engine/index.js';
import type { Logger } from '../logging.js';
import { mountWhatsAppMcp, type MountedWhatsAppMcp } from '../mcp/index.js';
import type { InProcessWhatsApp } from '../mcp/index.js';
import { createWhatsAppMcpServer } from '../mcp/index.js';
import { createWebhookRouter } from '../webhooks/index.js';
import type { AcceptedBatch } from '../webhooks/types.js';
import { isWorkflowId, UnknownWorkflowError, type WorkflowSet } from '../workflows/registry.js';
import { createAdminRouter } from './admin/index.js';
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
  workflows: WorkflowSet;
  intake: (batch: AcceptedBatch) => Promise<unknown>;
  kickOutbox: () => void;
  ready: Record<string, () => Promise<void>>;
  workflowIds: string[];
  /** The in-process WhatsApp MCP service, to expose at /mcp for other MCP clients. */
  whatsapp?: InProcessWhatsApp;
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
  app.use(requestIdMiddleware({ logger }));
  app.use(createHealthRouter({ checks: deps.ready }));
  app.get('/metrics', metrics.metricsHandler);

  if (config.webhooks.metaAppSecret || config.webhooks.evolutionSecret) {
    app.use(metrics.webhookMetricsMiddleware);
    app.use(
      createWebhookRouter({
        ...(config.webhooks.metaAppSecret && config.webhooks.metaVerifyToken
          ? { meta: { appSecret: config.webhooks.metaAppSecret, verifyToken: config.webhooks.metaVerifyToken } }
          : {}),
        ...(config.webhooks.evolutionSecret ? { evolution: { secret: config.webhooks.evolutionSecret } } : {}),
        accept: async (batch) => void (await deps.intake(batch)),
        // fromMe messages come in so that an agent answering from the business phone takes the conversation.
        ignore: { fromMe: false, groups: config.webhooks.ignoreGroups, reactions: config.webhooks.ignoreReactions },
        logger,
      }),
    );
  }

  let mcpMount: MountedWhatsAppMcp | undefined;
  if (config.mcp.httpToken && deps.whatsapp) {
    const service = deps.whatsapp.service;
    mcpMount = mountWhatsAppMcp(app, { token: config.mcp.httpToken, createServer: () => createWhatsAppMcpServer(service, { logger }), logger });
  }

  if (config.adminToken) {
    app.use(
      createAdminRouter({
        adminToken: config.adminToken,
        storage: deps.storage,
        serviceStore: deps.serviceStore,
        lifecycle: deps.lifecycle,
        kickOutbox: deps.kickOutbox,
        logger,
        workflows: {
          ids: () => deps.workflowIds,
          async start(workflowId, input) {
            if (!isWorkflowId(workflowId)) throw new UnknownWorkflowError(workflowId);
            const handle = deps.workflows[workflowId].start({
              sessionId: input.conversationKey,
              message: input.message,
              additionalData: { conversationKey: input.conversationKey },
            });
            handle.result.then(
              (result) => metrics.workflowRuns.inc({ workflow: workflowId, status: result.status }),
              (error: unknown) => logger.error({ err: error, runId: handle.runId }, 'admin-started run failed'),
            );
            return { runId: handle.runId };
          },
          async rerun(runId, options) {
            const original = await deps.storage.getRun(runId);
            const workflowName = original?.workflowName ?? '';
            if (!isWorkflowId(workflowName)) throw new UnknownWorkflowError(workflowName);
            const workflow = deps.workflows[workflowName];
            const names = workflow.steps.map((step) => step.name);
            if (options.fromStep !== undefined && !names.includes(options.fromStep)) {
              // Same error the engine throws, before answering 202, so the admin sees the valid names.
              throw new UnknownStepError(workflowName, options.fromStep, names);
            }
            const newRunId = randomUUID();
            workflow.rerun(runId, { ...(options.fromStep ? { fromStep: options.fromStep } : {}), runId: newRunId }).then(
              (result) => {
                metrics.workflowRuns.inc({ workflow: workflowName, status: result.status });
                deps.kickOutbox();
              },
              (error: unknown) => logger.error({ err: error, runId: newRunId }, 'rerun failed'),
            );
            return { runId: newRunId };
          },
        },
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
