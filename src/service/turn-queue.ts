/**
 * Conversation turns across processes, on pg-boss (its own schema in our Postgres).
 *
 * Policy: `stately` on the conversation key, and the job carries no message — only "this conversation has
 * messages waiting". The worker that holds it drains the conversation's inbox in the customer's order
 * (`takePending` sorts by the provider's send time). Why not `key_strict_fifo` with one job per message:
 * - order comes from the inbox, which already holds it, so a retried or re-delivered job can never reorder
 *   anything, and a burst of five messages is ONE job (stately keeps at most one waiting per key): the
 *   coalescing window becomes the job's `startAfter`;
 * - a key whose job fails terminally is not blocked (key_strict_fifo holds every later job of a failed key
 *   until someone deletes it); the next message or the periodic sweep creates a new job, and the messages were
 *   never in the job anyway;
 * - stately still gives one active job per key (a unique index on (name, state, key), and the fetch skips a
 *   key whose active slot is taken), which is the per-conversation exclusivity we need.
 *
 * A worker that stops heart-beating (crash, SIGSTOP, partition) loses the job after `heartbeatSeconds`;
 * pg-boss fences its late settle (attempt = retry count), and the engine fences its late step commits on the
 * run lease (StepCommit.leaseOwner).
 */
import type pg from 'pg';
import { PgBoss, type Db, type Job } from 'pg-boss';
import type { Logger } from '../logging.js';

export const TURN_QUEUE = 'zapflow-conversation-turns';

export interface TurnJob {
  conversationKey: string;
}

export interface TurnQueueOptions {
  databaseUrl: string;
  /** pg-boss schema (created if missing). */
  schema: string;
  /** A worker that does not heartbeat for this long loses its job to another worker (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** How often a process looks for jobs whose worker went silent (pg-boss `superviseIntervalSeconds`). */
  superviseIntervalSeconds: number;
  /** Web processes only enqueue: no supervision or maintenance there. */
  supervise: boolean;
  /** Connections of pg-boss's own pool. @default 4 */
  poolSize?: number;
  logger: Logger;
}

export interface QueueDepth {
  /** Jobs waiting (created or retry), deferred ones included. */
  waiting: number;
  /** Jobs being worked on now. */
  active: number;
  /** Age in seconds of the oldest waiting job that is due (0 when none). */
  oldestWaitingSeconds: number;
}

/** pg-boss's `db` option over a client that holds our open transaction: the job commits with our rows. */
export function transactionDb(client: pg.ClientBase): Db {
  return { executeSql: async (text, values) => ({ rows: (await client.query(text, values as unknown[])).rows }) };
}

export class TurnQueue {
  readonly boss: PgBoss;
  private readonly schema: string;
  private started = false;

  constructor(private readonly options: TurnQueueOptions) {
    this.schema = options.schema;
    this.boss = new PgBoss({
      connectionString: options.databaseUrl,
      schema: options.schema,
      max: options.poolSize ?? 4,
      supervise: options.supervise,
      superviseIntervalSeconds: options.superviseIntervalSeconds,
      monitorIntervalSeconds: Math.max(1, options.superviseIntervalSeconds),
      // Idle workers poll every 0.5 s; a backlog (ready count from this cache) makes them fetch back to back;
      // a job due at once wakes them through NOTIFY (sent at our transaction's commit).
      queueCacheIntervalSeconds: 2,
      useListenNotify: true,
      schedule: false,
      migrate: true,
    });
    // pg-boss reports pool and query errors as events; unhandled they would crash the process.
    this.boss.on('error', (error) => options.logger.warn({ err: error }, 'job queue error'));
  }

  async start(): Promise<void> {
    if (this.started) return;
    await this.boss.start();
    this.started = true;
    await this.boss.createQueue(TURN_QUEUE, {
      policy: 'stately',
      heartbeatSeconds: this.options.heartbeatSeconds,
      // A turn that keeps failing backs off (1 s … 30 s); after the limit the inbox rows stay pending and the
      // periodic sweep (./queued-turns.ts) enqueues the conversation again.
      retryLimit: 8,
      retryDelay: 1,
      retryBackoff: true,
      retryDelayMax: 30,
      expireInSeconds: 15 * 60,
      deleteAfterSeconds: 60 * 60,
      notify: true,
    }).catch((error: unknown) => {
      // Several processes create the queue at start: the loser of that race finds it there.
      if (!/already exists/i.test(String(error))) throw error;
    });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, timeout: 20_000, close: true });
  }

  /**
   * Enqueues one job per conversation inside the caller's transaction (`db`): an acked message always has its
   * job. A conversation that already has a waiting job keeps it (stately): its turn drains every message.
   */
  async enqueue(conversationKeys: string[], startAfterSeconds: number, db?: Db): Promise<void> {
    // send() per key, in order: insert() of several stately jobs refuses the whole batch when one key already
    // has a waiting job, and a refused send here is the normal case (the waiting job will drain the message).
    for (const conversationKey of conversationKeys) {
      const data: TurnJob = { conversationKey };
      await this.boss.send(TURN_QUEUE, data, { singletonKey: conversationKey, ...(startAfterSeconds > 0 ? { startAfter: startAfterSeconds } : {}), ...(db ? { db } : {}) });
    }
  }

  /** Calls `handle` for each job, up to `concurrency` at once in this process. */
  async work(concurrency: number, handle: (job: Job<TurnJob>) => Promise<void>): Promise<void> {
    await this.boss.work<TurnJob>(
      TURN_QUEUE,
      // Without the burst a loop waits its poll interval after every job: at most 2 jobs/s per loop.
      { localConcurrency: concurrency, batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5, burstWhenReadyExceeds: 1 },
      async ([job]) => {
        if (job) await handle(job);
      },
    );
  }

  /** True while `job` is still active under this attempt (pg-boss counts attempts in retry_count). */
  async holds(job: Pick<Job<TurnJob>, 'id' | 'retryCount'>): Promise<boolean> {
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT 1 FROM "${this.schema}".job WHERE name = $1 AND id = $2 AND state = 'active' AND retry_count = $3`,
      [TURN_QUEUE, job.id, job.retryCount],
    );
    return rows.length > 0;
  }

  /** Read live from the job table (the per-process /metrics gauge; pg-boss's own stats lag a monitor pass). */
  async depth(): Promise<QueueDepth> {
    const { rows } = await this.boss.getDb().executeSql(
      `SELECT count(*) FILTER (WHERE state IN ('created', 'retry')) AS waiting,
        count(*) FILTER (WHERE state = 'active') AS active,
        COALESCE(EXTRACT(EPOCH FROM now() - min(start_after) FILTER (WHERE state IN ('created', 'retry') AND start_after <= now())), 0) AS oldest
      FROM "${this.schema}".job WHERE name = $1 AND state IN ('created', 'retry', 'active')`,
      [TURN_QUEUE],
    );
    const row = rows[0] as { waiting: string; active: string; oldest: string } | undefined;
    return { waiting: Number(row?.waiting ?? 0), active: Number(row?.active ?? 0), oldestWaitingSeconds: Number(row?.oldest ?? 0) };
  }

  /** Readiness: the queue's database answers and the queue exists. */
  async ping(): Promise<void> {
    if (!this.started) throw new Error('job queue not started');
    await this.boss.getDb().executeSql('SELECT 1');
  }
}
