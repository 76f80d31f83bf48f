/**
 * The composition root: builds storage, models, the WhatsApp MCP client, the workflows, the conversation
 * service, the scheduled jobs and the HTTP app from a validated Config — and starts and stops them in the
 * right order. Nothing else in the code base knows how the pieces are wired.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ClaudeModel } from './agents/claude/index.js';
import { EmbeddedModel } from './agents/embedded/index.js';
import type { Model } from './agents/model.js';
import type { Config } from './config.js';
import { ConversationDispatcher } from './conversations/dispatcher.js';
import { createIntake } from './conversations/intake.js';
import { ConversationLifecycle } from './conversations/lifecycle.js';
import { whatsAppDeliverers } from './conversations/outbox-deliverers.js';
import { OutboxDispatcher } from './conversations/outbox-dispatcher.js';
import { createTurnProcessor, type TurnProcessorDeps } from './conversations/processor.js';
import { createRealertPort } from './conversations/realert.js';
import { loadSelfServiceContent } from './conversations/replies.js';
import { MemoryServiceStore } from './conversations/store/memory.js';
import { PostgresServiceStore } from './conversations/store/postgres.js';
import { SqliteServiceStore } from './conversations/store/sqlite.js';
import type { ServiceStore } from './conversations/store/types.js';
import { createDefaultJobs, createScheduler, type Scheduler } from './cron/index.js';
import { Engine, MemoryStorage, PostgresStorage, SqliteStorage, type RunResult, type Storage } from './engine/index.js';
import { createHttpApp } from './http/app.js';
import { createMetrics, stepLabel, type Metrics } from './http/metrics.js';
import { createLogger, type Logger } from './logging.js';
import { McpCustomerMessenger, McpNotifier, WhatsAppMcpClient, bundledWhatsAppServer, createInProcessWhatsApp, createSender, SqliteSentMessageLog } from './mcp/index.js';
import type { McpServerTarget, InProcessWhatsApp, WhatsAppSenderConfig } from './mcp/index.js';
import { defaultTaxonomy } from './taxonomy/index.js';
import { loadWorkflowConfig } from './workflows/config.js';
import type { WorkflowDeps } from './workflows/deps.js';
import { createWorkflows, WORKFLOW_IDS, type WorkflowSet } from './workflows/registry.js';

export interface AppOverrides {
  logger?: Logger;
  /** Keep everything in memory (tests, throwaway demos). */
  inMemory?: boolean;
  /** Use this model for every agent (tests); default from config. */
  model?: Model;
  /** Every workflow event of every conversation turn, as it happens (the demo's live view). */
  onEvent?: TurnProcessorDeps['onEvent'];
  now?: () => number;
}

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly serviceStore: ServiceStore;
  readonly engine: Engine;
  readonly workflows: WorkflowSet;
  readonly lifecycle: ConversationLifecycle;
  readonly dispatcher: ConversationDispatcher;
  readonly outbox: OutboxDispatcher;
  readonly mcp: WhatsAppMcpClient;
  /** The in-process WhatsApp MCP server, when MCP_SERVER=in-process (the demo reads what it "sent"). */
  readonly whatsapp?: InProcessWhatsApp;
  readonly scheduler: Scheduler;
  readonly metrics: Metrics;
  /** Starts everything and listens; resolves with the base URL. */
  start(): Promise<string>;
  /** Graceful: stop intake, finish in-flight turns, deliver what is due, release leases, close storage and MCP. */
  stop(): Promise<void>;
  /** Resolves when no conversation is waiting or running and the outbox has nothing due. */
  settle(): Promise<void>;
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const now = overrides.now ?? Date.now;
  const owner = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

  // Engine storage first: it refuses a database holding tables it did not create, and the service tables
  // share its prefix.
  const storage: Storage = overrides.inMemory
    ? new MemoryStorage()
    : config.storage.kind === 'postgres'
      ? new PostgresStorage({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix })
      : new SqliteStorage({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous });
  await storage.init();
  const serviceStore: ServiceStore = overrides.inMemory
    ? new MemoryServiceStore()
    : config.storage.kind === 'postgres'
      ? new PostgresServiceStore({ dbUrl: config.storage.databaseUrl, tableName: config.storage.tablePrefix })
      : new SqliteServiceStore({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous });
  await serviceStore.init();

  const models = overrides.model ? { classifier: overrides.model, escalation: overrides.model } : buildModels(config);
  const deps: WorkflowDeps = {
    storage,
    models,
    taxonomy: defaultTaxonomy(),
    config: { typification: loadWorkflowConfig('conversation-typification'), handoff: loadWorkflowConfig('human-handoff') },
    now,
  };
  const workflows = createWorkflows(deps);
  const engine = new Engine({
    storage,
    workflows: Object.values(workflows),
    owner,
    recoverOnBoot: config.recoveryOnBoot,
    onBackgroundError: (error) => logger.error({ err: error }, 'engine background work failed'),
  });

  const { target, whatsapp } = mcpTarget(config, logger);
  const mcp = new WhatsAppMcpClient({ server: target, callTimeoutMs: config.mcp.callTimeoutMs, logger });
  const metrics = createMetrics({ logger });
  const alertRecipients = config.agentAlertNumbers.length > 0 ? config.agentAlertNumbers : ['5511900000090'];
  const outbox = new OutboxDispatcher({
    storage,
    deliverers: whatsAppDeliverers({ notifier: new McpNotifier(mcp, { recipients: alertRecipients }), messenger: new McpCustomerMessenger(mcp) }),
    owner: `outbox:${owner}`,
    logger,
    pollIntervalMs: 500,
  });
  const lifecycle = new ConversationLifecycle(serviceStore, now);
  const observeRun = (workflowName: string, result: RunResult) => {
    metrics.workflowRuns.inc({ workflow: workflowName, status: result.status });
    const started = new Map<string, number>();
    for (const event of result.events) {
      if (event.type === 'StepStarted' && event.stepPath) started.set(event.stepPath, event.time);
      if (event.type === 'StepCompleted' && event.stepPath && started.has(event.stepPath)) {
        metrics.stepSeconds.observe({ workflow: workflowName, step: stepLabel(event.stepPath) }, (event.time - started.get(event.stepPath)!) / 1000);
      }
    }
  };
  const processTurn = createTurnProcessor({
    storage, serviceStore, lifecycle, workflows, selfService: loadSelfServiceContent(), kickOutbox: () => outbox.kick(), now, logger,
    onRunFinished: observeRun,
    ...(overrides.onEvent ? { onEvent: overrides.onEvent } : {}),
  });
  const dispatcher = new ConversationDispatcher({
    store: serviceStore,
    process: processTurn,
    coalesceWindowMs: config.dispatch.coalesceWindowMs,
    maxConcurrent: config.dispatch.maxConcurrentConversations,
    now,
    logger,
  });
  const intake = createIntake(serviceStore, dispatcher, {
    now,
    // Delivery receipts update the in-process MCP server's log, so `get_message_status` reports them.
    ...(whatsapp ? { onStatusUpdates: async (updates) => void (await Promise.all(updates.map((u) => whatsapp.log.updateStatus(u.messageId, u.status, u.timestamp)))) } : {}),
  });
  const scheduler = createScheduler({
    storage,
    owner,
    logger,
    now,
    jobs: createDefaultJobs({
      storage, serviceStore, lifecycle,
      realert: createRealertPort({ storage, taxonomy: deps.taxonomy, handoffConfig: deps.config.handoff, kick: () => outbox.kick(), now }),
      sla: config.sla,
      retentionDays: config.retentionDays,
      idleReleaseMinutes: config.dispatch.humanIdleReleaseMinutes,
    }),
  });
  metrics.setOutboxCounts(async () => ({
    pending: await storage.countOutbox('pending'),
    dead: await storage.countOutbox('dead'),
  }));
  metrics.setHandoffsWaiting(async () => (await serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 10_000 })).length);

  const http = createHttpApp({
    config, logger, metrics, storage, serviceStore, lifecycle, workflows, intake,
    kickOutbox: () => outbox.kick(),
    ready: { storage: () => storage.ping(), mcp: () => mcp.ping() },
    workflowIds: [...WORKFLOW_IDS],
    ...(whatsapp ? { whatsapp } : {}),
  });

  let server: Server | undefined;
  let stopping: Promise<void> | undefined;

  async function settle(): Promise<void> {
    for (;;) {
      await dispatcher.idle();
      const summary = await outbox.drain();
      if (summary.delivered + summary.retried + summary.dead === 0 && dispatcher.activeCount === 0) return;
    }
  }

  return {
    config, logger, storage, serviceStore, engine, workflows, lifecycle, dispatcher, outbox, mcp, scheduler, metrics,
    ...(whatsapp ? { whatsapp } : {}),
    async start() {
      await mcp.connect();
      const recovery = await engine.start();
      if (recovery && recovery.resumed.length > 0) logger.info({ runs: recovery.resumed.length }, 'resuming runs a previous process left unfinished');
      const pickedUp = await dispatcher.start();
      if (pickedUp > 0) logger.info({ conversations: pickedUp }, 'processing messages received before the last stop');
      outbox.start();
      scheduler.start();
      server = http.app.listen(config.port, config.host);
      await new Promise<void>((resolve, reject) => {
        server!.once('listening', resolve);
        server!.once('error', reject);
      });
      const address = server.address() as AddressInfo;
      const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
      logger.info({ url, storage: storage.kind, model: models.classifier.provider, sender: config.sender.kind }, 'zapflow is listening');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        // 1. No new webhooks (connections drain), 2. finish turns in flight, 3. deliver due replies,
        // 4. release leases so another process can take over at once, 5. close storage and the MCP child.
        if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
        await http.close();
        await scheduler.stop();
        await dispatcher.stop();
        await outbox.stop();
        await engine.stop();
        await mcp.close();
        await serviceStore.close();
        await storage.close();
        logger.info('zapflow stopped');
      })();
      return stopping;
    },
    settle,
  };
}

function buildModels(config: Config): WorkflowDeps['models'] {
  if (config.model.kind === 'claude') {
    const common = {
      apiKey: config.model.apiKey,
      timeoutMs: config.model.timeoutMs,
      ...(config.model.baseURL ? { baseURL: config.model.baseURL } : {}),
    };
    return {
      classifier: new ClaudeModel({ ...common, defaultModelId: config.model.classifierModel }),
      escalation: new ClaudeModel({ ...common, defaultModelId: config.model.escalationModel }),
    };
  }
  const embedded = EmbeddedModel.load();
  return { classifier: embedded, escalation: embedded };
}

function senderConfig(config: Config): WhatsAppSenderConfig {
  switch (config.sender.kind) {
    case 'meta':
      return { provider: 'meta', accessToken: config.sender.accessToken, phoneNumberId: config.sender.phoneNumberId, graphUrl: config.sender.graphUrl, apiVersion: config.sender.apiVersion };
    case 'evolution':
      return { provider: 'evolution', baseUrl: config.sender.baseUrl, apiKey: config.sender.apiKey, instance: config.sender.instance };
    default:
      return { provider: 'dry-run' };
  }
}

function mcpTarget(config: Config, logger: Logger): { target: McpServerTarget; whatsapp?: InProcessWhatsApp } {
  if (config.mcp.server === 'in-process') {
    const whatsapp = createInProcessWhatsApp({
      sender: createSender(senderConfig(config), logger),
      log: new SqliteSentMessageLog(join(config.dataDir, 'mcp-whatsapp.sqlite')),
      logger,
    });
    return { target: whatsapp.target, whatsapp };
  }
  if (config.mcp.server.startsWith('stdio:')) {
    const [command, ...args] = config.mcp.server.slice('stdio:'.length).trim().split(/\s+/);
    return { target: command ? { kind: 'stdio', command, args } : bundledWhatsAppServer() };
  }
  return { target: { kind: 'http', url: config.mcp.server, ...(config.mcp.httpToken ? { token: config.mcp.httpToken } : {}) } };
}
