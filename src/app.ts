/**
 * The composition root: the request side (webhooks → inbox → ack, admin API, probes, metrics) and the
 * processing side (src/service: engine, workflows, dispatcher, outbox, scheduled jobs, MCP client),
 * wired from a validated Config and started and stopped in the right order. Nothing else in the code base
 * knows how the pieces are wired.
 *
 * The processing side runs in a worker thread by default (ZAPFLOW_PROCESSING=thread), so webhook acks never
 * wait behind conversation turns; in-memory stores and test overrides (a fake model, a clock, the demo's
 * event feed) keep it in this thread, where those objects live.
 */
import { PromotedEmbeddedModel } from './agents/embedded/index.js';
import { defaultModelDir } from './agents/embedded/model-versions.js';
import type { Model } from './agents/model.js';
import type { Config } from './config.js';
import { consoleCases } from './console/cases.js';
import type { LiveUpdates } from './console/live.js';
import { consoleLiveSource } from './console/live-source.js';
import { backlogCheck } from './service/backlog-health.js';
import { ChatwootStatusSync } from './chatwoot/status-sync.js';
import { createIntake } from './service/intake.js';
import type { AgentDirectory as AgentPhones } from './service/agent-directory.js';
import { buildCaseWork, type CaseWork } from './service/case-work.js';
import type { ConversationLifecycle } from './service/lifecycle.js';
import type { AgentActions } from './service/agent-actions.js';
import type { TurnProcessorDeps } from './service/processor.js';
import type { ServiceStore } from './conversations/store/types.js';
import type { Storage } from './engine/index.js';
import { createHttpApp } from './http/app.js';
import { checkReadiness } from './http/health.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { createHttpServer } from './http/server.js';
import { createLogger, type Logger } from './logging.js';
import type { InProcessWhatsApp } from './mcp/index.js';
import type { ProcessingPort, RunObservation } from './service/port.js';
import { createProcessing, inProcessWhatsApp } from './service/pipeline.js';
import { openStores } from './service/open-stores.js';
import { IntakePressure } from './service/intake-pressure.js';
import { SqliteWriteGate } from './service/sqlite-write-gate.js';
import { SqliteIntakeSpool } from './conversations/store/sqlite-intake-spool.js';
import { ProcessingThread } from './service/thread.js';
import { agentDirectory, openPeopleStore, type AgentDirectory, type PeopleStore } from './people/index.js';
import { defaultTaxonomy } from './taxonomy/index.js';

export interface AppOverrides {
  logger?: Logger;
  /** Keep everything in memory (tests, throwaway demos). Implies inline processing. */
  inMemory?: boolean;
  /** Use this model for every agent (tests); default from config. Implies inline processing. */
  model?: Model;
  /** Every workflow event of every conversation turn, as it happens (the demo's live view). Implies inline processing. */
  onEvent?: TurnProcessorDeps['onEvent'];
  /** Clock for the processing side (tests). Implies inline processing. */
  now?: () => number;
  /** Overrides config.processing. */
  processing?: Config['processing'];
  /**
   * Agents' own phones for forwarded customer messages (the accounts' users table). Implies inline
   * processing: a function cannot cross into the processing thread (which builds its own from config).
   */
  agentDirectory?: AgentPhones;
  /** The processing thread died outside stop() (serve exits so that its supervisor restarts it). */
  onProcessingCrash?: (error: Error) => void;
}

export interface App {
  readonly config: Config;
  readonly logger: Logger;
  /** The request side's connections (admin reads, metrics); the processing thread has its own. */
  readonly storage: Storage;
  readonly serviceStore: ServiceStore;
  readonly lifecycle: ConversationLifecycle;
  /** What agents do (claim, reply, release, resolve, corrections) with its audit entries: the console calls it. */
  readonly actions: AgentActions;
  readonly processing: ProcessingPort;
  /** The in-process WhatsApp MCP server, when MCP_SERVER=in-process (the demo reads what it "sent"). */
  readonly whatsapp?: InProcessWhatsApp;
  readonly metrics: Metrics;
  /** Console accounts, sessions, API tokens and the audit log. */
  readonly people: PeopleStore;
  /** Where an agent's forwarded messages go (their phone), for the cases side. */
  readonly agents: AgentDirectory;
  /** Console live updates (queue, conversation pages). */
  readonly live: LiveUpdates;
  /** Starts everything and listens; resolves with the base URL. */
  start(): Promise<string>;
  /** Graceful: stop intake, finish in-flight turns, deliver what is due, release leases, close storage and MCP. */
  stop(): Promise<void>;
  /** Resolves when no conversation is waiting or running and the outbox has nothing due. */
  settle(): Promise<void>;
}

function recordRun(metrics: Metrics, observation: RunObservation): void {
  metrics.workflowRuns.inc({ workflow: observation.workflow, status: observation.status });
  for (const step of observation.steps) metrics.stepSeconds.observe({ workflow: observation.workflow, step: step.step }, step.seconds);
}

export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics({ logger });
  const onRunObserved = (observation: RunObservation) => recordRun(metrics, observation);
  const inlineOnly = Boolean(overrides.inMemory || overrides.model || overrides.onEvent || overrides.now || overrides.agentDirectory);
  // Scale-out roles run inline: a web process runs no turns, and a worker has no webhook acks to protect.
  const threaded = (overrides.processing ?? config.processing) === 'thread' && !inlineOnly && config.role === 'all';

  let processing: ProcessingPort;
  let storage: Storage;
  let serviceStore: ServiceStore;
  let whatsapp: InProcessWhatsApp | undefined;
  let closeOwnStores = async () => {};
  let pressure: IntakePressure | undefined;
  let spool: SqliteIntakeSpool | undefined;
  let inlineCaseWork: CaseWork | undefined;
  if (threaded) {
    // The request thread opens (and migrates) the stores first, so a database that does not answer is
    // reported here as StorageUnavailableError (serve's waiting room) before a thread is started.
    // With SQLite both threads write one file: the request thread's writes there (an agent's action in the
    // console; behind Chatwoot, the inbox) ask the processing thread to give way.
    const gate = config.storage.kind === 'sqlite' ? new SqliteWriteGate() : undefined;
    ({ storage, serviceStore } = await openStores(config, { intake: gate ? { announceWait: gate } : {} }));
    // With SQLite the webhooks' messages are committed to a spool file of their own, which the processing thread
    // moves into the inbox: an ack never waits for that thread's commit window. Behind Chatwoot they go straight
    // to the inbox: its conversation statuses, applied right after the rows are stored, need the conversation
    // rows the inbox insert creates.
    if (config.storage.kind === 'sqlite' && !config.chatwoot) {
      const opened = new SqliteIntakeSpool({
        dbFile: config.storage.dbFile, tableName: config.storage.tablePrefix, synchronous: config.storage.synchronous,
        onPruneError: (error) => logger.warn({ err: error }, 'could not delete moved messages from the intake spool; trying again shortly'),
      });
      try {
        await opened.init();
      } catch (error) {
        await serviceStore.close();
        await storage.close();
        throw error;
      }
      spool = opened;
    }
    const stores = { storage, serviceStore, spool };
    closeOwnStores = async () => {
      await stores.spool?.close();
      await stores.serviceStore.close();
      await stores.storage.close();
    };
    // Its own handle on the sent-message log: delivery receipts and the /mcp endpoint, in this thread.
    if (config.mcp.server === 'in-process') whatsapp = inProcessWhatsApp(config, logger);
    pressure = new IntakePressure({ maxConcurrent: config.dispatch.maxConcurrentConversations });
    const budget = pressure;
    metrics.setProcessingConcurrency(() => budget.budget.concurrency);
    processing = new ProcessingThread({
      config, logger, onRunObserved, intakePressure: pressure.buffer,
      ...(gate ? { sqliteWriteGate: gate.buffer } : {}),
      ...(spool ? { intakeSpool: true } : {}),
      ...(overrides.onProcessingCrash ? { onCrash: overrides.onProcessingCrash } : {}),
    });
  } else {
    const inline = await createProcessing(config, {
      logger, onRunObserved,
      ...(overrides.inMemory ? { inMemory: true } : {}),
      ...(overrides.model ? { model: overrides.model } : {}),
      ...(overrides.onEvent ? { onEvent: overrides.onEvent } : {}),
      ...(overrides.now ? { now: overrides.now } : {}),
      ...(overrides.agentDirectory ? { agentDirectory: overrides.agentDirectory } : {}),
    });
    ({ storage, serviceStore, whatsapp } = inline);
    inlineCaseWork = inline.caseWork;
    processing = inline;
  }

  // Inline, the processing side's case work is this thread's too; beside a processing thread, this thread
  // (console, admin API) changes conversations through its own, on its own connections.
  const { lifecycle, actions, cases: caseService } = inlineCaseWork ?? buildCaseWork({
    storage, serviceStore, taxonomy: defaultTaxonomy(), texts: config.cases.texts,
    kickOutbox: () => processing.kickOutbox(),
    ...(overrides.now ? { now: overrides.now } : {}),
  });
  const log = whatsapp?.log;
  // Behind Chatwoot, its conversation statuses decide who answers (src/chatwoot/status-sync.ts).
  const chatwootSync = config.chatwoot
    ? new ChatwootStatusSync({ serviceStore, lifecycle, cases: caseService, ...(overrides.now ? { now: overrides.now } : {}), logger })
    : undefined;
  const storeInbox = createIntake(spool ?? serviceStore, (keys) => processing.notify(keys), {
    // Beside a processing thread on SQLite: one commit per event-loop turn for all the webhooks of that turn (to
    // the spool: fewer commits; behind Chatwoot, to the inbox: one write-lock acquisition against that thread).
    gatherPerLoopTurn: threaded && config.storage.kind === 'sqlite',
    ...(overrides.now ? { now: overrides.now } : {}),
    ...(chatwootSync ? { afterStore: (batch) => chatwootSync.apply(batch.conversationStatuses ?? []) } : {}),
    // Delivery receipts update the in-process MCP server's log, so `get_message_status` reports them.
    ...(log ? { onStatusUpdates: async (updates) => void (await Promise.all(updates.map((u) => log.updateStatus(u.messageId, u.status, u.timestamp)))) } : {}),
  });
  // How long each webhook's rows took to commit tells the processing thread how much room the acks need.
  const measured = pressure;
  const intake: typeof storeInbox = measured
    ? async (batch) => {
        const startedAt = performance.now();
        const result = await storeInbox(batch);
        if (result.stored + result.duplicates > 0) measured.record(performance.now() - startedAt);
        return result;
      }
    : storeInbox;
  metrics.setOutboxCounts(async () => ({
    pending: await storage.countOutbox('pending'),
    dead: await storage.countOutbox('dead'),
  }));
  const queueDepth = processing.queueDepth?.bind(processing);
  if (queueDepth) metrics.setTurnQueueDepth(queueDepth);
  metrics.setWhatsAppSender(config.sender.kind);
  // Behind Chatwoot alone nothing goes to WhatsApp directly: a dry-run sender there is no warning.
  if (config.sender.kind === 'dry-run' && !config.chatwoot) {
    logger.warn(
      { sender: 'dry-run', requested: config.dryRunRequested },
      'WhatsApp dry-run: no Meta or Evolution credentials, so replies and agent alerts are recorded but never sent',
    );
  }
  metrics.setHandoffsWaiting(() => serviceStore.countConversations('waiting_human'));
  metrics.setMcpAvailable(() => checkReadiness({ mcp: () => processing.pingMcp() }, 2000).then((report) => report.ready));

  const people = await openPeopleStore(config, { ...(overrides.inMemory ? { inMemory: true } : {}) });
  const liveSource = consoleLiveSource(config, serviceStore, logger, overrides.inMemory ? { inMemory: true } : {});
  const live = liveSource.live;
  // The console reads the queue and the search through its own port, and acts through AgentActions: one
  // implementation of claim, reply, release, resolve, corrections and reruns (cases, protocol, audit) for both.
  const cases = consoleCases({ serviceStore, storage, slaMinutes: config.sla.minutes, actions });

  // Readiness counts the spooled messages as waiting too.
  const spooled = spool;
  const waiting = spooled ? { inboxProgress: (from: number) => spooled.inboxProgressWith(serviceStore, from) } : serviceStore;
  const http = createHttpApp({
    config, logger, metrics, storage, serviceStore, lifecycle, actions, intake,
    workflows: processing.workflows,
    kickOutbox: () => processing.kickOutbox(),
    ready: {
      storage: () => storage.ping(),
      ...(config.role !== 'web' ? { mcp: () => processing.pingMcp() } : {}),
      // A web process stays ready while workers lag: refusing webhooks would not make them catch up.
      ...(config.role !== 'web' ? { backlog: backlogCheck(waiting, { stallMs: config.dispatch.backlogStallMs, ...(overrides.now ? { now: overrides.now } : {}) }) } : {}),
      ...(processing.pingQueue ? { queue: () => processing.pingQueue!() } : {}),
    },
    ...(whatsapp ? { whatsapp } : {}),
    console: {
      people, cases, live, taxonomy: defaultTaxonomy(), sessionHours: config.consoleSessionHours,
      secureCookies: config.publicUrl?.startsWith('https:') ?? false,
      // The embedded model follows promotions from its next turn; Claude's embedded helper loads at start.
      models: {
        dir: config.modelDir ?? defaultModelDir({}),
        livePromotion: overrides.model ? overrides.model instanceof PromotedEmbeddedModel : config.model.kind !== 'claude',
      },
    },
  });

  const httpServer = createHttpServer(http.app, {
    headersTimeoutMs: config.http.headersTimeoutMs,
    requestTimeoutMs: config.http.requestTimeoutMs,
    drainGraceMs: config.http.drainMs,
  });
  let stopping: Promise<void> | undefined;

  return {
    config, logger, storage, serviceStore, lifecycle, actions, processing, metrics, people, live, agents: agentDirectory(people),
    ...(whatsapp ? { whatsapp } : {}),
    async start() {
      await processing.start();
      await liveSource.start();
      pressure?.start();
      const address = await httpServer.listen(config.port, config.host);
      const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${address.port}`;
      logger.info({ url, role: config.role, storage: storage.kind, model: processing.modelProvider, sender: config.sender.kind, processing: processing.mode }, 'zapflow is listening');
      return url;
    },
    stop() {
      stopping ??= (async () => {
        // 1. No new webhooks (idle keep-alive sockets closed, new requests 503 + Connection: close, requests
        // in flight finish within HTTP_DRAIN_MS), 2. the processing side finishes turns in flight, delivers
        // due replies, releases its leases and closes its connections, 3. this thread's connections.
        await httpServer.drain();
        await http.close();
        await liveSource.stop();
        pressure?.stop();
        await processing.stop();
        await closeOwnStores();
        await people.close();
        logger.info('zapflow stopped');
      })();
      return stopping;
    },
    settle: () => processing.settle(),
  };
}
