/**
 * Live console updates across web processes on Postgres: the service tables' triggers NOTIFY which
 * conversation changed, whoever wrote it (000006_live_notify.sql); each web process LISTENs on one dedicated
 * connection and turns the notifications into the same events its pages already subscribe to. A page open on
 * web process A shows, within a moment, the claim an agent made through web process B or the turn a worker ran.
 *
 * The connection is re-opened (with backoff) when it drops — a database restart, a failover, an idle-killing
 * proxy. Notifications sent while it was down are lost by Postgres's design, so a reconnection publishes a
 * queue refresh, and the slow safety-net poll (`watchQueue`) catches anything else a page missed.
 */
import type pg from 'pg';
import { pgDriver } from '../engine/storage-kit.js';
import type { Logger } from '../logging.js';
import { InProcessLiveUpdates, type LiveEvent, type LiveUpdates } from './live.js';

export interface PostgresLiveUpdatesOptions {
  databaseUrl: string;
  /** Schema of the service tables. @default 'public' */
  schema?: string;
  /** Prefix of the service tables. @default 'zapflow_' */
  tablePrefix?: string;
  logger: Logger;
  /** Notifications arriving within this window are published once per conversation. @default 50 */
  coalesceMs?: number;
  /** First wait before reconnecting; doubles up to 5 s. @default 250 */
  reconnectMs?: number;
}

export class PostgresLiveUpdates implements LiveUpdates {
  /** The process's own bus: pages subscribe here; `watchQueue` watches it too. */
  readonly bus = new InProcessLiveUpdates();
  private readonly channel: string;
  private client: pg.Client | undefined;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly changed = new Set<string>();
  private queueChanged = false;
  private connectedOnce = false;

  constructor(private readonly options: PostgresLiveUpdatesOptions) {
    this.channel = `${options.schema ?? 'public'}.${options.tablePrefix ?? 'zapflow_'}live`;
  }

  publish(event: LiveEvent): void {
    this.bus.publish(event);
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    return this.bus.subscribe(listener);
  }

  /** Opens the listening connection; a database that does not answer yet is retried in the background. */
  async start(): Promise<void> {
    await this.connect(this.options.reconnectMs ?? 250);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.flushTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(retryMs: number): Promise<void> {
    if (this.closed) return;
    const client = new (pgDriver().Client)({ connectionString: this.options.databaseUrl, connectionTimeoutMillis: 10_000 });
    let lost = false;
    const onLost = (error?: Error) => {
      if (lost || this.closed) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      this.options.logger.warn(error ? { err: error } : {}, 'console live updates: listening connection lost; reconnecting');
      void client.end().catch(() => {});
      this.scheduleReconnect(this.options.reconnectMs ?? 250);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (message) => this.received(message.payload));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
    } catch (error) {
      lost = true;
      void client.end().catch(() => {});
      if (this.closed) return;
      this.options.logger.warn({ err: error }, 'console live updates: cannot listen yet; retrying');
      this.scheduleReconnect(Math.min(retryMs * 2, 5000));
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // What changed while nobody listened is unknown: open queue pages re-render (the poll covers the rest).
    if (this.connectedOnce) this.publish({ type: 'queue' });
    this.connectedOnce = true;
  }

  private scheduleReconnect(waitMs: number): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect(waitMs);
    }, waitMs);
    this.reconnectTimer.unref();
  }

  private received(payload: string | undefined): void {
    if (!payload || payload.length < 3) return;
    if (payload.startsWith('q:')) this.queueChanged = true;
    this.changed.add(payload.slice(2));
    // A burst (a webhook batch, a turn touching several rows) becomes one render per open page.
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.coalesceMs ?? 50);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const keys = [...this.changed];
    this.changed.clear();
    if (this.queueChanged) this.publish({ type: 'queue' });
    this.queueChanged = false;
    for (const conversationKey of keys) this.publish({ type: 'conversation', conversationKey });
  }
}
