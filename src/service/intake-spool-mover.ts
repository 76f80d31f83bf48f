/**
 * The processing thread's half of the intake spool (../conversations/store/sqlite-intake-spool.ts): moves the
 * messages the request thread spooled into the inbox, in ack order, and hands their conversations to the
 * dispatcher. Asked when the request thread says messages arrived, at start (what a previous process acked and
 * never moved), before a settle, and every `pollEveryMs` — so a move that failed (the main file's lock held
 * past its timeout, a full disk) is tried again: an outage delays a message, never drops it.
 */
import type { Logger } from 'pino';
import type { SqliteIntakeSpoolReader } from '../conversations/store/sqlite-intake-spool.js';
import type { ServiceStore } from '../conversations/store/types.js';

/** Rows per insert: a backlog moves in bounded transactions' worth of savepoints, not one huge one. */
const MOVE_BATCH = 200;

export interface IntakeSpoolMoverDeps {
  reader: SqliteIntakeSpoolReader;
  inbox: Pick<ServiceStore, 'insertInbox'>;
  /** The conversations that got new inbox rows (the dispatcher). */
  dispatch: (conversationKeys: readonly string[]) => void;
  logger: Logger;
  /** @default 1000 */
  pollEveryMs?: number;
}

export class IntakeSpoolMover {
  /** The highest spool id whose message is in the inbox (applied on this thread's connection). */
  private movedUpTo = 0;
  private moving: Promise<void> | undefined;
  private requested = false;
  private poll: NodeJS.Timeout | undefined;

  constructor(private readonly deps: IntakeSpoolMoverDeps) {}

  /**
   * Moves every message spooled before this call (and any spooled while it runs). Calls made while a move runs
   * share it, which goes round again for them.
   */
  move(): Promise<void> {
    this.requested = true;
    this.moving ??= this.drain();
    return this.moving;
  }

  /** Same as move(), for callers that do not wait: a failure is logged and the next poll tries again. */
  kick(): void {
    this.move().catch((error: unknown) => this.deps.logger.error({ err: error }, 'could not move spooled messages into the inbox; trying again shortly'));
  }

  startPolling(): void {
    this.poll ??= setInterval(() => this.kick(), this.deps.pollEveryMs ?? 1000).unref();
  }

  /** Stops polling and waits for a move under way. */
  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    await this.moving?.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.requested) {
        this.requested = false;
        await this.moveSpooled();
      }
    } finally {
      // Synchronously after the last check of `requested`: a move() from now on starts a new drain.
      this.moving = undefined;
    }
  }

  private async moveSpooled(): Promise<void> {
    for (;;) {
      const spooled = this.deps.reader.after(this.movedUpTo, MOVE_BATCH);
      if (spooled.length === 0) return;
      // The latest ack time of the batch, as the intake's group commit stamps a group: no row is stamped before
      // its request reached us. A message the inbox already holds (moved before a crash) is not inserted again.
      const stored = await this.deps.inbox.insertInbox(spooled.map((message) => message.item), Math.max(...spooled.map((message) => message.receivedAt)));
      this.movedUpTo = spooled.at(-1)!.id;
      if (stored.length > 0) this.deps.dispatch([...new Set(stored.map((record) => record.conversationKey))]);
      if (spooled.length < MOVE_BATCH) return;
    }
  }
}
