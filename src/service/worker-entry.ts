/**
 * The processing worker thread: builds the processing side from the Config it is given and answers the
 * request thread's notifications and calls (./messages.ts). Its own storage connections, model, engine,
 * dispatcher, outbox and jobs; the request thread keeps only what verifies, stores and acks webhooks and
 * serves the admin API.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../logging.js';
import { turnBudgetFrom } from './intake-pressure.js';
import { giveWayTo, lockWantedBy } from './sqlite-write-gate.js';
import { parseCallArgs, serializeError, toWorkerSchema, workerDataSchema, type CallArgs, type CallMethod, type CallResult, type FromWorker } from './messages.js';
import type { RunObservation } from './port.js';
import { createProcessing, type Processing } from './pipeline.js';

const port = parentPort;
if (!port) throw new Error('src/service/worker-entry is a worker thread entry point: start it with new Worker(...)');

const { config, intakePressure, sqliteWriteGate, intakeSpool } = workerDataSchema.parse(workerData);
const logger = createLogger({ level: config.logLevel }).child({ thread: 'processing' });
/**
 * Every message to the request thread goes out after the writes held open are committed (holdSqliteWrites):
 * what the request thread hears of (a finished call, a settled backlog) it can read from its own connection.
 */
const send = (message: FromWorker) => {
  processing?.commitHeldWrites();
  port.postMessage(message);
};

/**
 * The processing thread runs at a lower CPU priority than the request thread (Linux nice, per thread), so
 * that when the cores are busy — with the turns, the database's own processes, everything else on the
 * machine — an ack is not queued behind a turn: the backlog waits a little, a provider's delivery does not.
 * On a machine with spare cores nothing changes. Elsewhere than Linux the thread keeps the process's priority.
 */
function lowerThreadPriority(nice: number): void {
  if (nice === 0 || process.platform !== 'linux') return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(threadId, nice);
  } catch (error) {
    logger.debug({ err: error }, 'could not lower the processing thread priority');
  }
}
lowerThreadPriority(config.processingNice);

// Run observations (metrics only) are batched over OBSERVATION_BATCH_MS: one message for many runs. Per
// event-loop turn, a turn's two runs cost one structured clone and one message each (~0.1 ms of a turn);
// /metrics is scraped every few seconds, so a tenth of a second later changes nothing anyone sees.
const OBSERVATION_BATCH_MS = 100;
let pendingObservations: RunObservation[] = [];
let observationTimer: NodeJS.Timeout | undefined;
const flushObservations = () => {
  if (observationTimer) clearTimeout(observationTimer);
  observationTimer = undefined;
  const observations = pendingObservations;
  pendingObservations = [];
  if (observations.length > 0) send({ type: 'runs', observations });
};

/**
 * How long the processing thread's SQLite transaction stays open (SqliteGroupCommit `holdForMs`), and how long a
 * reply waits for its delivery round: the turns under way share one commit and one claim. A customer's reply
 * leaves up to that much later, and a write of the request thread to the main file (an agent's action in the
 * console; behind Chatwoot, the inbox) may wait for the window while this thread writes nothing; webhooks are
 * committed to the intake spool, a file of its own (../conversations/store/sqlite-intake-spool.ts), and do not
 * wait. SQLITE_COMMIT_WINDOW_MS, 20 by default; measured side by side (bench/README.md, issue 21): 20 ms against
 * 5, −5 % of the process's CPU and −35 % bytes written a message.
 */
const commitWindowMs = config.storage.kind === 'sqlite' ? config.storage.commitWindowMs : 0;

// Notifications before the processing side exists can be dropped: its start() scans the inbox and the
// outbox anyway (and the request thread only listens once start() has answered).
let processing: Processing | undefined;

const building = createProcessing(config, {
  logger,
  ...(intakePressure ? { turnBudget: turnBudgetFrom(intakePressure) } : {}),
  ...(intakeSpool ? { intakeSpool: true } : {}),
  ...(sqliteWriteGate ? { beforeSqliteWrite: giveWayTo(sqliteWriteGate), holdSqliteWrites: { lockWanted: lockWantedBy(sqliteWriteGate), holdForMs: commitWindowMs } } : {}),
  onRunObserved(observation) {
    if (pendingObservations.push(observation) === 1) observationTimer = setTimeout(flushObservations, OBSERVATION_BATCH_MS).unref();
  },
}).then((built) => {
  processing = built;
  return built;
});
// A failure to build is reported by the first call (start), which awaits `building`; keep it from also
// being an unhandled rejection.
building.catch(() => undefined);

/** Each call of ./messages.ts, on the processing side. Arguments arrive checked against the method's declaration. */
const handlers: { [M in CallMethod]: (p: Processing, args: CallArgs<M>) => Promise<CallResult<M>> } = {
  async start(p) {
    await p.start();
    return { modelProvider: p.modelProvider };
  },
  async stop(p) {
    await p.stop();
    flushObservations();
    return undefined;
  },
  async settle(p) {
    await p.settle();
    // Settled means the metrics know every finished run too (the reply follows this message on the port).
    flushObservations();
    return undefined;
  },
  async pingMcp(p) {
    await p.pingMcp();
    return undefined;
  },
  workflowStart: (p, [workflowId, input]) => p.workflows.start(workflowId, input),
  workflowRerun: (p, [runId, options]) => p.workflows.rerun(runId, options),
};

async function call<M extends CallMethod>(method: M, args: unknown): Promise<CallResult<M>> {
  const p = await building;
  return handlers[method](p, parseCallArgs(method, args));
}

port.on('message', (raw: unknown) => {
  const parsed = toWorkerSchema.safeParse(raw);
  if (!parsed.success) {
    logger.error({ issues: parsed.error.issues }, 'the request thread sent a message this version does not understand; ignored');
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'notify':
      processing?.notify(message.keys);
      return;
    case 'kickOutbox':
      processing?.kickOutbox();
      return;
    case 'call':
      call(message.method, message.args).then(
        (value) => send({ type: 'reply', id: message.id, ok: true, value }),
        (error: unknown) => send({ type: 'reply', id: message.id, ok: false, error: serializeError(error) }),
      );
  }
});
