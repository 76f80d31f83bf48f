/**
 * The processing side of the service, built from a validated Config: engine storage, the service store,
 * models, workflows and engine, the WhatsApp MCP client, the conversation dispatcher, the outbox and the
 * scheduled jobs — started and stopped in the right order. It runs in the request thread (`mode: 'inline'`)
 * or, unchanged, inside the processing worker thread (./worker-entry.ts).
 */
import { ClaudeModel, GuidedClaudeModel } from '../agents/claude/index.js';
import { withChatwoot } from '../chatwoot/wiring.js';
import { defaultTrainingSetFile, EmbeddedModel, PromotedEmbeddedModel, readLabeledConversations } from '../agents/embedded/index.js';
import { defaultModelDir } from '../agents/embedded/model-versions.js';
import type { Model } from '../agents/model.js';
import type { Config } from '../config.js';
import { ConversationDispatcher } from './dispatcher.js';
import type { AgentDirectory } from './agent-directory.js';
import { buildCaseWork, type CaseWork } from './case-work.js';
import type { ConversationLifecycle } from './lifecycle.js';
import type { PipelineStages } from './stages.js';
import { whatsAppDeliverers } from './outbox-deliverers.js';
import { OutboxDispatcher, type OutboxDeliverer } from './outbox-dispatcher.js';
import { createTurnProcessor, type TurnProcessorDeps } from './processor.js';
import { createRealertPort } from './realert.js';
import { loadSelfServiceContent } from './replies.js';
import type { ServiceStore } from '../conversations/store/types.js';
import { createDefaultJobs, createScheduler, type Scheduler } from '../cron/index.js';
import { Engine, SqliteStorage, UnknownStepError, timeOrderedId, type RunResult, type Storage } from '../engine/index.js';
import { observationOf } from './run-observation.js';
import type { Logger } from '../logging.js';
import { McpCustomerMessenger, McpNotifier, WhatsAppMcpClient, bundledWhatsAppServer, createInProcessWhatsApp, createSender } from '../mcp/index.js';
import type { McpServerTarget, InProcessWhatsApp, WhatsAppSenderConfig } from '../mcp/index.js';
import { defaultTaxonomy } from '../taxonomy/index.js';
import { loadWorkflowConfig } from '../workflows/config.js';
import type { WorkflowDeps } from '../workflows/deps.js';
import { createWorkflows, isWorkflowId, UnknownWorkflowError, WORKFLOW_IDS, type WorkflowSet } from '../workflows/registry.js';
import type { TurnBudget } from './intake-pressure.js';
import { MCP_OUTAGE_ERROR, McpAvailability } from './mcp-availability.js';
import type { AdminWorkflowsPort, ProcessingPort, RunObservation } from './port.js';
import { takeProcessIdentity } from './process-identity.js';
import { agentDirectory, openPeopleStore } from '../people/index.js';
import { QueuedTurns } from './queued-turns.js';
import { openSentMessageLog } from './sent-message-log.js';
import { takeOverDeadPredecessor } from './take-over.js';
import { IntakeSpoolMover } from './intake-spool-mover.js';
import { SqliteIntakeSpoolReader } from '../conversations/store/sqlite-intake-spool.js';
import { openStores, type OpenStoresOptions } from './open-stores.js';
import { TurnQueue, transactionDb, type QueueDepth } from './turn-queue.js';

/** The outbox claims of a process are held under this name (told apart from its run leases). */
const outboxOwner = (owner: string) => `outbox:${owner}`;

export interface ProcessingOptions {
  logger: Logger;
  /** Keep everything in memory (tests, throwaway demos). */
  inMemory?: boolean;
  /** Use this model for every agent (tests); default from config. */
  model?: Model;
  /** Every workflow event of every conversation turn, as it happens (the demo's live view). */
  onEvent?: TurnProcessorDeps['onEvent'];
  /** Before each SQLite write transaction: give way to the request thread's inbox commits (./sqlite-write-gate.ts). */
  beforeSqliteWrite?: () => void;
  /** See OpenStoresOptions.holdSqliteWrites; call Processing.commitHeldWrites() before telling another thread anything. */
  holdSqliteWrites?: { lockWanted: () => boolean; holdForMs?: number };
  /** The request thread's current cap on concurrent turns and pause between them (./intake-pressure.ts). */
  turnBudget?: () => TurnBudget;
  /** Each finished run, for the metrics. */
  onRunObserved?: (observation: RunObservation) => void;
  now?: () => number;
  /** Agents' own phones (the accounts' users table), for messages forwarded to the claiming agent. @default none */
  agentDirectory?: AgentDirectory;
  /**
   * SQLite beside a request thread that spools the webhooks (../conversations/store/sqlite-intake-spool.ts):
   * this side moves the spooled messages into the inbox (./intake-spool-mover.ts). @default off
   */
  intakeSpool?: boolean;
}

export interface Processing extends ProcessingPort {
  readonly storage: Storage;
  /** Commits the SQLite writes held open (holdSqliteWrites): before another thread hears of them. No-op otherwise. */
  commitHeldWrites(): void;
  readonly serviceStore: ServiceStore;
  readonly lifecycle: ConversationLifecycle;
  /** Lifecycle, cases, the outbox writer and the agents' actions of this side. */
  readonly caseWork: CaseWork;
  /** The path of a message through this side (./stages.ts): dispatch → turn → effects → delivery. */
  readonly stages: PipelineStages;
  readonly engine: Engine;
  readonly workflows: AdminWorkflowsPort;
  readonly workflowSet: WorkflowSet;
  readonly dispatcher: ConversationDispatcher;
  /** Roles web and worker: the pg-boss turn queue. */
  readonly queue?: TurnQueue;
  /** Role worker: the jobs this process works on. */
  readonly queuedTurns?: QueuedTurns;
  readonly outbox: OutboxDispatcher;
  readonly mcp: WhatsAppMcpClient;
  readonly scheduler: Scheduler;
  /** The in-process WhatsApp MCP server, when MCP_SERVER=in-process (the demo reads what it "sent"). */
  readonly whatsapp?: InProcessWhatsApp;
}

export async function createProcessing(config: Config, options: ProcessingOptions): Promise<Processing> {
  const { logger } = options;
  const now = options.now ?? Date.now;
  const identity = takeProcessIdentity(options.inMemory ? undefined : config.dataDir);
  const { owner } = identity;
  const role = config.role;
  const queue = role !== 'all' && config.storage.kind === 'postgres'
    ? new TurnQueue({
      databaseUrl: config.storage.databaseUrl, schema: config.queue.schema, heartbeatSeconds: config.queue.heartbeatSeconds,
      superviseIntervalSeconds: config.queue.superviseSeconds, supervise: role === 'worker', logger,
    })
    : undefined;
  // The turn job is sent in the inbox insert's own transaction: an acked message always has its job.
  const coalesceSeconds = config.dispatch.coalesceWindowMs / 1000;
  const withinInboxCommit = queue && role === 'web'
    ? async (client: Parameters<NonNullable<OpenStoresOptions['withinInboxCommit']>>[0], stored: Parameters<NonNullable<OpenStoresOptions['withinInboxCommit']>>[1]) =>
      queue.enqueue([...new Set(stored.map((record) => record.conversationKey))], coalesceSeconds, transactionDb(client))
    : undefined;
  const { storage, serviceStore } = await openStores(config, {
    inMemory: Boolean(options.inMemory),
    ...(options.beforeSqliteWrite ? { beforeSqliteWrite: options.beforeSqliteWrite } : {}),
    ...(options.holdSqliteWrites ? { holdSqliteWrites: options.holdSqliteWrites } : {}),
    ...(withinInboxCommit ? { withinInboxCommit } : {}),
  });
  const observe = (workflowName: string, result: RunResult) => options.onRunObserved?.(observationOf(workflowName, result));

  const models = options.model ? { classifier: options.model, escalation: options.model } : buildModels(config, logger);
  const deps: WorkflowDeps = {
    storage,
    models,
    taxonomy: defaultTaxonomy(),
    config: { typification: loadWorkflowConfig('conversation-typification'), handoff: loadWorkflowConfig('human-handoff') },
    now,
    slaMinutes: config.sla.minutes,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
  };
  const workflowSet = createWorkflows(deps);
  const engine = new Engine({
    storage,
    workflows: Object.values(workflowSet),
    owner,
    leaseTtlMs: config.runLeaseMs,
    // A web process runs no turns: the workers recover the runs of dead processes.
    recoverOnBoot: role !== 'web' && config.recoveryOnBoot,
    ...(role === 'web' ? { recoverEveryMs: 0 } : {}),
    onBackgroundError: (error) => logger.error({ err: error }, 'engine background work failed'),
  });

  const { target, whatsapp } = mcpTarget(config, logger);
  const mcp = new WhatsAppMcpClient({ server: target, callTimeoutMs: config.mcp.callTimeoutMs, logger });
  const alertRecipients = config.agentAlertNumbers.length > 0 ? config.agentAlertNumbers : ['5511900000090'];
  // Late-bound: the availability monitor kicks the outbox, the outbox asks the monitor.
  let kickOutbox = () => {};
  const caseWork = buildCaseWork({ storage, serviceStore, taxonomy: deps.taxonomy, texts: config.cases.texts, now, kickOutbox: () => kickOutbox() });
  const mcpAvailability = new McpAvailability({ mcp, logger, onAvailable: () => kickOutbox() });
  const deliverers = whatsAppDeliverers({
    notifier: new McpNotifier(mcp, { recipients: alertRecipients }),
    messenger: new McpCustomerMessenger(mcp),
    recordOwnMessages: (messages) => serviceStore.recordOwnMessages(messages),
  });
  const outbox = new OutboxDispatcher({
    storage,
    // Behind Chatwoot, its conversations' rows go through Chatwoot's API (not watched as MCP deliveries).
    deliverers: withChatwoot(config, Object.fromEntries(Object.entries(deliverers).map(([topic, deliverer]) => [topic, watchedBy(mcpAvailability, deliverer)])), {
      storage, serviceStore, logger, now, kick: () => kickOutbox(), outbox: caseWork.outbox, confidenceThresholds: deps.config.typification.confidence,
    }),
    owner: outboxOwner(owner),
    logger,
    pollIntervalMs: 500,
    // Writes held in a commit window: the replies of the turns finishing in one window are claimed in one round.
    kickDelayMs: options.holdSqliteWrites?.holdForMs ?? 0,
    retryForMs: config.outboxRetryHours * 3_600_000,
    available: () => mcpAvailability.available,
  });
  kickOutbox = () => outbox.kick();
  const { lifecycle, cases, actions } = caseWork;
  // Who holds a conversation decides where its customer's messages are forwarded (the agent's own phone). The
  // people table is read here too, so the processing thread and a separate worker know the agents' phones.
  const people = options.agentDirectory || options.inMemory ? undefined : await openPeopleStore(config);
  const agents = options.agentDirectory ?? (people ? agentDirectory(people) : undefined);
  const processTurn = pinModelPerTurn(models, createTurnProcessor({
    storage, serviceStore, outbox: caseWork.outbox, lifecycle, cases, workflows: workflowSet, selfService: loadSelfServiceContent(), kickOutbox: () => outbox.kick(), now, logger,
    onRunFinished: observe,
    ...(agents ? { agentDirectory: agents } : {}),
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  }));
  const dispatcher = new ConversationDispatcher({
    store: serviceStore,
    process: processTurn,
    coalesceWindowMs: config.dispatch.coalesceWindowMs,
    maxConcurrent: config.dispatch.maxConcurrentConversations,
    ...(options.turnBudget ? { turnBudget: options.turnBudget } : {}),
    now,
    logger,
  });
  const spoolReader = options.intakeSpool && config.storage.kind === 'sqlite'
    ? new SqliteIntakeSpoolReader({ dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous })
    : undefined;
  await spoolReader?.init();
  const spool = spoolReader
    ? new IntakeSpoolMover({ reader: spoolReader, inbox: serviceStore, dispatch: (keys) => keys.forEach((key) => dispatcher.notify(key)), logger })
    : undefined;
  const queuedTurns = queue && role === 'worker'
    ? new QueuedTurns({
      queue, store: serviceStore, storage, process: processTurn, owner,
      concurrency: config.dispatch.maxConcurrentConversations, coalesceWindowMs: config.dispatch.coalesceWindowMs, now, logger,
    })
    : undefined;
  const scheduler = createScheduler({
    storage,
    owner,
    logger,
    now,
    jobs: createDefaultJobs({
      storage, serviceStore, lifecycle,
      realert: createRealertPort({
        storage, outbox: caseWork.outbox, taxonomy: deps.taxonomy, handoffConfig: deps.config.handoff, kick: () => outbox.kick(),
        ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
      }),
      cases,
      caseIdleCloseHours: config.cases.idleCloseHours,
      onIdleReleased: (before) => actions.idleReleased(before),
      sla: config.sla,
      retentionDays: config.retentionDays,
      idleReleaseMinutes: config.dispatch.humanIdleReleaseMinutes,
      waitingExpireHours: config.dispatch.humanWaitExpireHours,
      timing: Object.fromEntries(Object.entries(config.jobSchedules).map(([job, schedule]) => [job, { schedule }])),
    }),
  });

  const workflows: AdminWorkflowsPort = {
    ids: () => [...WORKFLOW_IDS],
    async start(workflowId, input) {
      if (!isWorkflowId(workflowId)) throw new UnknownWorkflowError(workflowId, WORKFLOW_IDS);
      const handle = workflowSet[workflowId].start({
        sessionId: input.conversationKey,
        message: input.message,
        additionalData: { conversationKey: input.conversationKey },
      });
      handle.result.then(
        (result) => {
          observe(workflowId, result);
          outbox.kick();
        },
        (error: unknown) => logger.error({ err: error, runId: handle.runId }, 'admin-started run failed'),
      );
      return { runId: handle.runId };
    },
    async rerun(runId, rerunOptions) {
      const original = await storage.getRun(runId);
      const workflowName = original?.workflowName ?? '';
      if (!isWorkflowId(workflowName)) throw new UnknownWorkflowError(workflowName, WORKFLOW_IDS);
      const workflow = workflowSet[workflowName];
      const names = workflow.steps.map((step) => step.name);
      if (rerunOptions.fromStep !== undefined && !names.includes(rerunOptions.fromStep)) {
        // Same error the engine throws, before answering 202, so the admin sees the valid names.
        throw new UnknownStepError(workflowName, rerunOptions.fromStep, names);
      }
      const newRunId = timeOrderedId();
      workflow.rerun(runId, { ...(rerunOptions.fromStep ? { fromStep: rerunOptions.fromStep } : {}), runId: newRunId }).then(
        (result) => {
          observe(workflowName, result);
          outbox.kick();
        },
        (error: unknown) => logger.error({ err: error, runId: newRunId }, 'rerun failed'),
      );
      return { runId: newRunId };
    },
  };

  let stopping: Promise<void> | undefined;
  const runsTurns = role !== 'web';
  /** Dispatch: this process's dispatcher, or nothing to do when the turn jobs were committed with the inbox rows (scale-out). */
  const notify = (conversationKeys: readonly string[]): void => {
    if (queue) return;
    // Spooled: the messages are in the spool file until moved; the move hands the conversations on.
    if (spool) return spool.kick();
    for (const key of conversationKeys) dispatcher.notify(key);
  };

  return {
    mode: 'inline',
    storage, serviceStore, lifecycle, caseWork, engine,
    commitHeldWrites: () => {
      if (storage instanceof SqliteStorage) storage.commitHeld();
    },
    stages: { dispatch: { notify }, turn: processTurn, effects: caseWork.outbox, delivery: outbox }, workflows, workflowSet, dispatcher, outbox, mcp, scheduler,
    ...(queue ? { queue } : {}),
    ...(queuedTurns ? { queuedTurns } : {}),
    modelProvider: models.classifier.provider,
    ...(whatsapp ? { whatsapp } : {}),
    async start() {
      await queue?.start();
      // A web process delivers nothing (workers do): no MCP client of its own. Not awaited: a WhatsApp MCP
      // server that is down at boot delays deliveries, never the intake.
      if (runsTurns) {
        mcpAvailability.start();
        const revived = await outbox.reviveDead(MCP_OUTAGE_ERROR);
        if (revived > 0) logger.warn({ rows: revived }, 'outbox rows an MCP outage had made dead are queued again');
      }
      if (identity.deadPredecessor !== undefined) {
        // Our previous incarnation was killed: its runs and deliveries are ours to resume now, not when its
        // leases lapse (30 s for runs, 15 s for outbox claims).
        const taken = await takeOverDeadPredecessor(storage, identity.deadPredecessor, outboxOwner(identity.deadPredecessor), now());
        if (taken.runs + taken.outboxRows > 0) logger.info(taken, 'the previous process of this data directory died: taking over its work at once');
      }
      const recovery = await engine.start();
      if (recovery && recovery.resumed.length > 0) logger.info({ runs: recovery.resumed.length }, 'resuming runs a previous process left unfinished');
      if (!runsTurns) return;
      if (queuedTurns) await queuedTurns.start();
      else {
        // What a previous process acked into the spool and never moved, before the inbox is scanned.
        if (spool) {
          await spool.move();
          spool.startPolling();
        }
        const pickedUp = await dispatcher.start();
        if (pickedUp > 0) logger.info({ conversations: pickedUp }, 'processing messages received before the last stop');
      }
      outbox.start();
      scheduler.start();
    },
    stop() {
      // Finish turns in flight, deliver due replies, release leases so another process can take over at
      // once, then close storage and the MCP child.
      stopping ??= (async () => {
        await scheduler.stop();
        queuedTurns?.stop();
        // pg-boss waits for the turns in flight (graceful), then releases its connections.
        await queue?.stop();
        await spool?.stop();
        await dispatcher.stop();
        await outbox.stop();
        await engine.stop();
        mcpAvailability.stop();
        if (runsTurns) await mcp.close();
        await people?.close();
        spoolReader?.close();
        await serviceStore.close();
        await storage.close();
      })();
      return stopping;
    },
    async settle() {
      for (;;) {
        await spool?.move();
        await dispatcher.idle();
        await queuedTurns?.idle();
        const summary = await outbox.drain();
        if (summary.delivered + summary.retried + summary.dead === 0 && dispatcher.activeCount === 0) return;
      }
    },
    notify,
    kickOutbox: () => outbox.kick(),
    pingMcp: () => (runsTurns ? mcpAvailability.check() : Promise.resolve()),
    ...(queue ? { pingQueue: () => queue.ping(), queueDepth: (): Promise<QueueDepth> => queue.depth() } : {}),
  };
}

/** A turn keeps the model version it started with, when the model follows promotions (see promoted-model.ts). */
function pinModelPerTurn(models: WorkflowDeps['models'], processTurn: ReturnType<typeof createTurnProcessor>): ReturnType<typeof createTurnProcessor> {
  const promoted = models.classifier instanceof PromotedEmbeddedModel ? models.classifier : undefined;
  return promoted ? (conversationKey, items, runId) => promoted.forTurn(() => processTurn(conversationKey, items, runId)) : processTurn;
}

function buildModels(config: Config, logger: Logger): WorkflowDeps['models'] {
  const modelDir = config.modelDir ?? defaultModelDir({});
  if (config.model.kind === 'claude') {
    const common = {
      apiKey: config.model.apiKey,
      timeoutMs: config.model.timeoutMs,
      ...(config.model.baseURL ? { baseURL: config.model.baseURL } : {}),
    };
    // Claude gets the nearest labeled conversations as examples, and a second opinion on escalation.
    // The Claude path reads the promoted embedded version at start (a promotion takes effect on restart).
    const embedded = EmbeddedModel.load({ modelDir });
    const labeled = readLabeledConversations(defaultTrainingSetFile());
    return {
      classifier: new GuidedClaudeModel(new ClaudeModel({ ...common, defaultModelId: config.model.classifierModel }), embedded, labeled),
      escalation: new GuidedClaudeModel(new ClaudeModel({ ...common, defaultModelId: config.model.escalationModel }), embedded, labeled),
    };
  }
  // Follows promotions (console or CLI) from the next turn on, in every process sharing the model folder.
  const embedded = new PromotedEmbeddedModel({
    dir: modelDir, taxonomy: defaultTaxonomy(),
    onSwitch: (change) => logger.info(change, 'embedded model: the promoted version is now in use'),
    onLoadError: (error) => logger.error({ err: error }, 'embedded model: the promoted version cannot be loaded; the previous one keeps answering'),
  });
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

/**
 * The in-process WhatsApp MCP service (MCP_SERVER=in-process), over the sent-message log (./sent-message-log.ts).
 */
export function inProcessWhatsApp(config: Config, logger: Logger): InProcessWhatsApp {
  return createInProcessWhatsApp({
    sender: createSender(senderConfig(config), logger),
    log: openSentMessageLog(config),
    logger,
  });
}

function mcpTarget(config: Config, logger: Logger): { target: McpServerTarget; whatsapp?: InProcessWhatsApp } {
  if (config.mcp.server === 'in-process') {
    const whatsapp = inProcessWhatsApp(config, logger);
    return { target: whatsapp.target, whatsapp };
  }
  if (config.mcp.server.startsWith('stdio:')) {
    const [command, ...args] = config.mcp.server.slice('stdio:'.length).trim().split(/\s+/);
    return { target: command ? { kind: 'stdio', command, args } : bundledWhatsAppServer() };
  }
  return { target: { kind: 'http', url: config.mcp.server, ...(config.mcp.httpToken ? { token: config.mcp.httpToken } : {}) } };
}

/** Tells the availability monitor how each delivery went (an outage shows in readiness and pauses the outbox). */
function watchedBy(availability: McpAvailability, deliverer: OutboxDeliverer): OutboxDeliverer {
  return {
    ...deliverer,
    async deliver(row) {
      try {
        const result = await deliverer.deliver(row);
        availability.recordSuccess();
        return result;
      } catch (error) {
        availability.recordFailure(error);
        throw error;
      }
    },
  };
}
