/**
 * The path of one message, stage by stage, as typed ports. Each stage hands its output to the next one;
 * ./pipeline.ts builds them once per process (the request side builds the intake, src/app.ts):
 *
 *   intake    webhook batch → inbox rows, committed before the ack          Intake        ./intake.ts
 *   dispatch  conversation keys → one turn at a time per conversation       TurnDispatch  ./dispatcher.ts (one process)
 *                                                                                         ./queued-turns.ts over ./turn-queue.ts (pg-boss, scale-out)
 *   turn      a conversation's batch → workflow runs → what to say/do       TurnProcessor ./processor.ts → src/workflows
 *   effects   typed effects → outbox rows (the one writer)                  Outbox        ./outbox.ts
 *   delivery  outbox rows → WhatsApp MCP server / Chatwoot API              Delivery      ./outbox-dispatcher.ts → ./outbox-deliverers.ts
 *                                                                                         → src/mcp/client (MCP) | src/chatwoot
 *
 * A reader who follows a message follows these types: each implementation is named beside its port.
 */
import type { AcceptedBatch } from '../webhooks/types.js';
import type { InboxRecord } from '../conversations/store/types.js';
import type { Outbox } from './outbox.js';
import type { DrainSummary } from './outbox-dispatcher.js';

/** Stores a verified webhook's messages (deduplicated by provider id) before the 200, then tells dispatch. */
export type Intake = (batch: AcceptedBatch) => Promise<{ stored: number; duplicates: number }>;

/** Inbox rows of these conversations are committed: schedule their turns (coalesced, in order, bounded). */
export interface TurnDispatch {
  notify(conversationKeys: readonly string[]): void;
}

/** One turn: a conversation's batch of messages under the run id its rows are bound to. */
export type TurnProcessor = (conversationKey: string, items: InboxRecord[], runId: string) => Promise<void>;

/** Where decided effects become outbox rows: steps stage them in their commit, the service writes the rest. */
export type Effects = Outbox;

/** Delivers outbox rows (exactly once per key, in each conversation's order, retried with backoff). */
export interface Delivery {
  /** Deliver due rows now instead of at the next poll. */
  kick(): void;
  /** Delivers every row that is due now; what happened to them. */
  drain(): Promise<DrainSummary>;
}

/** The processing side's stages, as pipeline.ts built them. */
export interface PipelineStages {
  readonly dispatch: TurnDispatch;
  readonly turn: TurnProcessor;
  readonly effects: Effects;
  readonly delivery: Delivery;
}
