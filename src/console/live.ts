/**
 * Live updates for open console pages (the queue, a conversation): a small publish/subscribe interface.
 * In one process it is an in-memory bus; on Postgres the database's notifications feed it, so every web
 * process sees what any process wrote (./postgres-live.ts; which one a process uses: ./live-source.ts).
 *
 * Without notifications (SQLite), changes made by the processing side (a new escalation, in the processing
 * thread) are noticed by `watchQueue`, which compares the open handoffs every `intervalMs` while someone is
 * watching and publishes when they changed; on Postgres it stays as a slow safety net.
 */
import type { ServiceStore } from '../conversations/store/types.js';

export type LiveEvent = { type: 'queue' } | { type: 'conversation'; conversationKey: string };

export interface LiveUpdates {
  publish(event: LiveEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
}

export class InProcessLiveUpdates implements LiveUpdates {
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  /** Called when the first listener arrives and when the last leaves (start/stop the watcher). */
  onWatchersChanged?: (count: number) => void;

  publish(event: LiveEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    this.onWatchersChanged?.(this.listeners.size);
    return () => {
      this.listeners.delete(listener);
      this.onWatchersChanged?.(this.listeners.size);
    };
  }
}

/** Polls the open handoffs while the bus has listeners; publishes `queue` (and the conversation) on change. */
export function watchQueue(bus: InProcessLiveUpdates, store: ServiceStore, intervalMs = 400): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let last = new Map<string, string>();
  let busy = false;
  let primed = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const open = [
        ...(await store.listConversations({ handoffStatus: 'waiting_human', limit: 1000 })),
        ...(await store.listConversations({ handoffStatus: 'human', limit: 1000 })),
      ];
      const next = new Map(open.map((c) => [c.conversationKey, `${c.handoffStatus}|${c.assignedAgent ?? ''}|${c.updatedAt}|${c.lastCustomerMessageAt ?? ''}`]));
      const changed = [...next].filter(([key, signature]) => last.get(key) !== signature).map(([key]) => key);
      const gone = [...last.keys()].filter((key) => !next.has(key));
      const first = !primed;
      primed = true;
      last = next;
      if (!first && (changed.length > 0 || gone.length > 0)) {
        bus.publish({ type: 'queue' });
        for (const conversationKey of [...changed, ...gone]) bus.publish({ type: 'conversation', conversationKey });
      }
    } catch {
      // A database hiccup: the next tick tries again; pages keep what they show.
    } finally {
      busy = false;
    }
  };
  bus.onWatchersChanged = (count) => {
    if (count > 0 && !timer) {
      void tick();
      timer = setInterval(() => void tick(), intervalMs);
      timer.unref();
    } else if (count === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
      primed = false;
    }
  };
  return {
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      bus.onWatchersChanged = undefined;
    },
  };
}
