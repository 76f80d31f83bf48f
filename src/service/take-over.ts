/**
 * Taking over what a dead predecessor (./process-identity.ts) held, at start, instead of waiting for its
 * leases to lapse: its runs (30 s leases) are expired so that the engine's recovery resumes them now, and
 * the outbox rows it was delivering (120 s claims) are due again now. Both go through the ordinary
 * recovery paths afterwards; the only change is that nobody waits for a clock.
 */
import type { Storage } from '../engine/index.js';

const PAGE = 500;

export interface TakeOver {
  runs: number;
  outboxRows: number;
}

/** `runOwner` is the predecessor's lease owner; its outbox claims are `outboxOwner`. */
export async function takeOverDeadPredecessor(storage: Storage, runOwner: string, outboxOwner: string, now: number): Promise<TakeOver> {
  // A heartbeat that sets the lease's expiry in the past: the runs stay `running`, claimable at once.
  const runs = await storage.heartbeat(runOwner, 0, now);
  let outboxRows = 0;
  for (let offset = 0; ;) {
    const page = await storage.listOutbox({ status: 'delivering', limit: PAGE, offset });
    // Rows released here leave the `delivering` list: the next page starts that many rows earlier.
    offset += page.length;
    for (const row of page) {
      if (row.claimedBy !== outboxOwner) continue;
      // Not counted as a failure of the message: its deliverer died, not the delivery.
      await storage.markOutboxFailed(row.id, outboxOwner, 'the process delivering it died; retried by its successor', now, false, now);
      outboxRows++;
      offset--;
    }
    if (page.length < PAGE) return { runs, outboxRows };
  }
}
