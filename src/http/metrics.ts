/**
 * Prometheus metrics (prom-client), on a Registry of our own so two services in one process (tests, the
 * demo) never share or double-register metrics.
 *
 * Webhook results are counted from the response status when it is sent, not inside the receivers: the
 * webhook router answers 401/400/413 before any application code runs, and those rejections are exactly
 * what an operator wants to see (a rotated secret shows up as a wall of `unauthorized`).
 *
 * Gauges that describe stored state (outbox depth, dead rows, handoffs waiting, MCP reachable) are read through
 * callbacks, so they are right after a restart and with several processes sharing one database — with counts,
 * at most once per `stateCacheMs` whatever the number of scrapers, and never awaited by a scrape once a first
 * value exists: a scrape answers from the cache and, when it is stale, starts one refresh in the background.
 * Webhook acks share this thread; scrapes must not queue reads in front of them.
 */
import type { Request, RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';

export type WebhookProvider = 'meta' | 'evolution' | 'chatwoot';

/** What happened to a webhook delivery, from its response status. A small fixed set: labels stay bounded. */
export type WebhookResult =
  | 'accepted' | 'unauthorized' | 'malformed' | 'too_large' | 'unsupported_encoding' | 'rejected'
  | 'unavailable' | 'error' | 'aborted';

export function webhookResultOf(status: number): WebhookResult {
  if (status >= 200 && status < 300) return 'accepted';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400) return 'malformed';
  if (status === 413) return 'too_large';
  if (status === 415) return 'unsupported_encoding';
  if (status === 503) return 'unavailable';
  if (status >= 500) return 'error';
  return 'rejected';
}

/** Provider of a webhook POST from its path (wherever the router is mounted), or undefined for other routes. */
export function webhookProviderOf(req: Request): WebhookProvider | undefined {
  const path = req.originalUrl.split('?')[0] ?? '';
  if (/^\/webhooks\/(whatsapp|meta)\/?$/.test(path)) return 'meta';
  if (/^\/webhooks\/evolution(\/|$)/.test(path)) return 'evolution';
  if (/^\/webhooks\/chatwoot\//.test(path)) return 'chatwoot';
  return undefined;
}

export { stepLabel } from '../service/run-observation.js';

export interface OutboxCounts {
  /** Rows waiting to be delivered (pending, or delivering). */
  pending: number;
  /** Rows that exhausted their attempts and need an admin (`POST /admin/outbox/:id/retry`). */
  dead: number;
}

export interface TurnQueueDepth {
  waiting: number;
  active: number;
  oldestWaitingSeconds: number;
}

export interface MetricsOptions {
  /** Prefix of every zapflow metric name. @default 'zapflow_' */
  prefix?: string;
  /** Include Node's process metrics (CPU, memory, event loop lag, GC). @default true */
  defaultMetrics?: boolean;
  /** Where a failing gauge callback is reported (the scrape still succeeds with the last values). */
  logger?: Logger;
  /** How long stored-state gauges are reused before they are read again. @default 5000 */
  stateCacheMs?: number;
}

export interface Metrics {
  readonly registry: Registry;
  /** Webhook deliveries by provider and result (counted by `webhookMetricsMiddleware`). */
  readonly webhooksReceived: Counter<'provider' | 'result'>;
  /** Seconds from request start to the acknowledgement (2xx) being sent, by provider. */
  readonly webhookAckSeconds: Histogram<'provider'>;
  /** Finished workflow runs by workflow name and final status (completed, error, cancelled, paused). */
  readonly workflowRuns: Counter<'workflow' | 'status'>;
  /** Step duration in seconds by workflow and step (label via `stepLabel(stepPath)`). */
  readonly stepSeconds: Histogram<'workflow' | 'step'>;
  /** Sets how the outbox gauges are computed at each scrape. */
  setOutboxCounts(read: () => Promise<OutboxCounts> | OutboxCounts): void;
  /** Sets how the handoffs-waiting gauge is computed at each scrape (conversations in `waiting_human`). */
  setHandoffsWaiting(read: () => Promise<number> | number): void;
  /** `zapflow_whatsapp_sender{provider}` = 1 for the configured sender; `provider="dry-run"` means nothing is sent. */
  setWhatsAppSender(provider: 'meta' | 'evolution' | 'dry-run'): void;
  /** Sets how the MCP gauge is read: true when the WhatsApp MCP server takes deliveries. */
  setMcpAvailable(read: () => Promise<boolean>): void;
  /** Sets how the turn-concurrency gauge is read (the limit the intake pressure leaves the processing thread). */
  setProcessingConcurrency(read: () => number): void;
  /** Scale-out: sets how the turn-queue gauges are read (jobs waiting, active, oldest waiting job's age). */
  setTurnQueueDepth(read: () => Promise<TurnQueueDepth>): void;
  /** Express middleware counting webhook POSTs by provider and result; mount it before the webhook router. */
  readonly webhookMetricsMiddleware: RequestHandler;
  /** `GET /metrics` handler: Prometheus text format. */
  readonly metricsHandler: RequestHandler;
}

const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const STEP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const prefix = options.prefix ?? 'zapflow_';
  const logger = options.logger ?? silentLogger;
  const registry = new Registry();
  const registers = [registry];
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const webhooksReceived = new Counter({
    name: `${prefix}webhooks_received_total`, help: 'Webhook deliveries received, by provider and result.', labelNames: ['provider', 'result'] as const, registers,
  });
  const webhookAckSeconds = new Histogram({
    name: `${prefix}webhook_ack_seconds`, help: 'Time to acknowledge a webhook delivery (2xx sent), in seconds.', labelNames: ['provider'] as const, buckets: ACK_BUCKETS, registers,
  });
  const workflowRuns = new Counter({
    name: `${prefix}workflow_runs_total`, help: 'Workflow runs finished, by workflow and final status.', labelNames: ['workflow', 'status'] as const, registers,
  });
  const stepSeconds = new Histogram({
    name: `${prefix}step_duration_seconds`, help: 'Workflow step duration, in seconds.', labelNames: ['workflow', 'step'] as const, buckets: STEP_BUCKETS, registers,
  });

  const whatsappSender = new Gauge({
    name: `${prefix}whatsapp_sender`, help: 'The WhatsApp sender in use (1 for its provider label); provider="dry-run" means replies are recorded, not sent.',
    labelNames: ['provider'] as const, registers,
  });

  const stateCacheMs = options.stateCacheMs ?? 5000;
  let readOutbox: (() => Promise<OutboxCounts> | OutboxCounts) | undefined;
  let readHandoffs: (() => Promise<number> | number) | undefined;
  let readMcp: (() => Promise<boolean>) | undefined;
  const outbox = cachedState(() => (readOutbox ? readOutbox() : undefined), stateCacheMs, (error) => logger.warn({ err: error }, 'outbox counts unavailable for /metrics; keeping the last values'));
  const handoffs = cachedState(() => (readHandoffs ? readHandoffs() : undefined), stateCacheMs, (error) => logger.warn({ err: error }, 'handoffs waiting unavailable for /metrics; keeping the last value'));
  const mcp = cachedState(() => (readMcp ? readMcp() : undefined), stateCacheMs, () => {});

  new Gauge({
    name: `${prefix}outbox_pending`, help: 'Outbox rows waiting to be delivered.', registers,
    async collect() {
      const counts = await outbox.current();
      if (counts) this.set(counts.pending);
    },
  });
  new Gauge({
    name: `${prefix}outbox_dead`, help: 'Outbox rows that gave up (non-retryable error, or older than OUTBOX_RETRY_HOURS): need an admin retry.', registers,
    async collect() {
      const counts = await outbox.current();
      if (counts) this.set(counts.dead);
    },
  });
  new Gauge({
    name: `${prefix}handoffs_waiting`, help: 'Conversations waiting for a human agent.', registers,
    async collect() {
      const waiting = await handoffs.current();
      if (waiting !== undefined) this.set(waiting);
    },
  });
  new Gauge({
    name: `${prefix}mcp_available`, help: '1 while the WhatsApp MCP server takes deliveries, 0 during an outage (alerts and replies wait).', registers,
    async collect() {
      const available = await mcp.current();
      if (available !== undefined) this.set(available ? 1 : 0);
    },
  });

  let readConcurrency: (() => number) | undefined;
  new Gauge({
    name: `${prefix}processing_concurrency_limit`,
    help: 'Conversation turns the processing thread may run at once now: lowered while webhook acks slow down, so that acks go first.',
    registers,
    collect() {
      if (readConcurrency) this.set(readConcurrency());
    },
  });

  let readQueue: (() => Promise<TurnQueueDepth>) | undefined;
  let queueRead: Promise<TurnQueueDepth | undefined> | undefined;
  const currentQueue = (): Promise<TurnQueueDepth | undefined> => {
    if (!readQueue) return Promise.resolve(undefined);
    const read = readQueue;
    queueRead ??= Promise.resolve()
      .then(read)
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'turn queue depth unavailable for /metrics; keeping the last values');
        return undefined;
      })
      .finally(() => {
        queueRead = undefined;
      });
    return queueRead;
  };
  const queueGauge = (name: string, help: string, pick: (depth: TurnQueueDepth) => number) =>
    new Gauge({
      name: `${prefix}${name}`, help, registers,
      async collect() {
        const depth = await currentQueue();
        if (depth) this.set(pick(depth));
      },
    });
  queueGauge('turn_queue_waiting', 'Conversation turn jobs waiting in the queue (all processes).', (depth) => depth.waiting);
  queueGauge('turn_queue_active', 'Conversation turn jobs being worked on now (all processes).', (depth) => depth.active);
  queueGauge('turn_queue_oldest_waiting_seconds', 'Age of the oldest due turn job still waiting, in seconds.', (depth) => depth.oldestWaitingSeconds);

  const webhookMetricsMiddleware: RequestHandler = (req, res, next) => {
    const provider = req.method === 'POST' ? webhookProviderOf(req) : undefined;
    if (provider === undefined) {
      next();
      return;
    }
    const startedAt = process.hrtime.bigint();
    let counted = false;
    const count = (result: WebhookResult): void => {
      if (counted) return;
      counted = true;
      webhooksReceived.inc({ provider, result });
      if (result === 'accepted') webhookAckSeconds.observe({ provider }, Number(process.hrtime.bigint() - startedAt) / 1e9);
    };
    res.once('finish', () => count(webhookResultOf(res.statusCode)));
    // 'close' without 'finish': the provider hung up before the answer (it will redeliver).
    res.once('close', () => count('aborted'));
    next();
  };

  const metricsHandler: RequestHandler = async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.status(200).send(body);
  };

  return {
    registry, webhooksReceived, webhookAckSeconds, workflowRuns, stepSeconds, webhookMetricsMiddleware, metricsHandler,
    // A new reader is read at the next scrape, not after the cache period.
    setOutboxCounts: (read) => {
      readOutbox = read;
      outbox.invalidate();
    },
    setHandoffsWaiting: (read) => {
      readHandoffs = read;
      handoffs.invalidate();
    },
    setMcpAvailable: (read) => {
      readMcp = read;
      mcp.invalidate();
    },
    setProcessingConcurrency: (read) => {
      readConcurrency = read;
    },
    setTurnQueueDepth: (read) => {
      readQueue = read;
    },
    setWhatsAppSender: (provider) => {
      whatsappSender.reset();
      whatsappSender.set({ provider }, 1);
    },
  };
}

/**
 * A value read at most once per `maxAgeMs`. The first call waits for the first read; later calls answer the
 * last value at once and, when it is stale, start one refresh that later calls share.
 */
function cachedState<T>(read: () => Promise<T | undefined> | T | undefined, maxAgeMs: number, onError: (error: unknown) => void) {
  let value: T | undefined;
  let readAt = Number.NEGATIVE_INFINITY;
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> =>
    (refreshing ??= Promise.resolve()
      .then(read)
      .then(
        (fresh) => {
          if (fresh !== undefined) value = fresh;
        },
        onError,
      )
      .finally(() => {
        readAt = performance.now();
        refreshing = undefined;
      }));
  return {
    invalidate() {
      readAt = Number.NEGATIVE_INFINITY;
    },
    async current(): Promise<T | undefined> {
      if (performance.now() - readAt < maxAgeMs) return value;
      const pending = refresh();
      if (value === undefined) await pending;
      return value;
    },
  };
}
