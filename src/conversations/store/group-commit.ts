/**
 * Group commit of the webhook inbox inserts: while one insert is being committed, the webhooks that arrive
 * queue, and the next commit stores all of them in ONE `insertInbox` (one transaction; one round trip on
 * Postgres). Each caller still resolves only after the commit holding its items, so "a message acked is a
 * message stored" holds unchanged. Under load the ack path then holds one database connection instead of one
 * per request, and stops queueing behind the conversation turns' queries in the pool.
 *
 * With SQLite the insert is synchronous, so it is "under way" only while it waits for the write lock the
 * processing thread holds (SqliteServiceStore `lockWait: 'yield'`); `gatherPerLoopTurn` then also gathers the
 * webhooks whose bodies completed in the same event-loop turn into one commit (one BEGIN/COMMIT and one
 * write-lock acquisition instead of several, at the cost of waiting for the end of that turn).
 */
import type { InboxItem, InboxRecord, ServiceStore } from './types.js';

interface Waiter {
  items: InboxItem[];
  now: number;
  resolve: (stored: InboxRecord[]) => void;
  reject: (error: unknown) => void;
}

const identity = (item: { provider: string; messageId: string }) => `${item.provider}\u0000${item.messageId}`;

export interface GroupCommitOptions {
  /** Start a commit at the end of the event-loop turn instead of at once (see above). @default false */
  gatherPerLoopTurn?: boolean;
}

export class InboxGroupCommit {
  private queue: Waiter[] = [];
  private committing = false;

  constructor(
    private readonly store: Pick<ServiceStore, 'insertInbox'>,
    private readonly options: GroupCommitOptions = {},
  ) {}

  /** Same contract as `ServiceStore.insertInbox`: the items that were new, after they are committed. */
  insert(items: InboxItem[], now: number): Promise<InboxRecord[]> {
    return new Promise<InboxRecord[]>((resolve, reject) => {
      this.queue.push({ items, now, resolve, reject });
      if (this.committing) return;
      if (this.options.gatherPerLoopTurn) {
        this.committing = true;
        setImmediate(() => {
          this.committing = false;
          void this.commitQueued();
        });
      } else void this.commitQueued();
    });
  }

  /** Never rejects: every waiter of every group is resolved or rejected, whatever fails (it runs unawaited). */
  private async commitQueued(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        try {
          await (group.length === 1 ? this.commitAlone(group[0]!) : this.commitTogether(group));
        } catch (error) {
          // A bug past the insert: the waiters answer 503 (the provider delivers again) instead of hanging.
          for (const waiter of group) waiter.reject(error);
        }
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitAlone(waiter: Waiter): Promise<void> {
    try {
      waiter.resolve(await this.store.insertInbox(waiter.items, waiter.now));
    } catch (error) {
      waiter.reject(error);
    }
  }

  private async commitTogether(group: Waiter[]): Promise<void> {
    let stored: InboxRecord[];
    try {
      // The latest arrival time of the group: no row is stamped earlier than its request reached us.
      stored = await this.store.insertInbox(group.flatMap((waiter) => waiter.items), Math.max(...group.map((waiter) => waiter.now)));
    } catch {
      // One request's bad item must not fail its neighbours: each is committed on its own, and only the
      // culprit's caller sees the error (and answers 503, so its provider delivers it again).
      for (const waiter of group) await this.commitAlone(waiter);
      return;
    }
    // A message id in two requests of the group (a redelivery racing the original) is new for the first only.
    const owner = new Map<string, Waiter>();
    for (const waiter of group) for (const item of waiter.items) if (!owner.has(identity(item))) owner.set(identity(item), waiter);
    const byWaiter = new Map<Waiter, InboxRecord[]>(group.map((waiter) => [waiter, []]));
    // A row whose id reads back differently from how it was written (the receivers make ids well-formed, so
    // this should not happen) still counts: its caller is unknown, so the first one reports it, and the
    // conversation is notified either way.
    for (const record of stored) byWaiter.get(owner.get(identity(record)) ?? group[0]!)!.push(record);
    for (const [waiter, records] of byWaiter) waiter.resolve(records);
  }
}
