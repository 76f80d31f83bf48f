/**
 * Readiness of the backlog: messages acked and stored but not processed are fine while turns finish; a
 * backlog that does not move (a message waiting for `stallMs` and no message finished for as long) means
 * customers are not being answered although the database and the HTTP side look healthy — `/readyz` says so.
 */
import type { ServiceStore } from '../conversations/store/types.js';

export interface BacklogCheckOptions {
  /** How long the oldest message may wait with nothing finished meanwhile. */
  stallMs: number;
  now?: () => number;
}

/** How far back finished messages are looked for (bounds the query; a longer stall is still reported). */
const LOOKBACK_MS = 15 * 60_000;

/** A readiness check: resolves while the backlog moves, rejects with the reason when it is stuck. */
export function backlogCheck(store: Pick<ServiceStore, 'inboxProgress'>, options: BacklogCheckOptions): () => Promise<void> {
  const now = options.now ?? Date.now;
  return async () => {
    const at = now();
    const progress = await store.inboxProgress(at - Math.max(LOOKBACK_MS, options.stallMs));
    if (progress.oldestWaitingAt === undefined) return;
    const waitedMs = at - progress.oldestWaitingAt;
    if (waitedMs < options.stallMs) return;
    const idleMs = progress.lastFinishedAt === undefined ? waitedMs : at - progress.lastFinishedAt;
    if (idleMs < options.stallMs) return;
    throw new Error(`backlog not moving: a message has waited ${Math.round(waitedMs / 1000)} s and none was processed for ${Math.round(idleMs / 1000)} s`);
  };
}
