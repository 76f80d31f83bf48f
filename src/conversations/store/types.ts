/**
 * The service's own tables, beside the engine's: the inbox (every customer message, deduplicated by provider
 * + message id, stored BEFORE the webhook is acknowledged) and one row per conversation with its handoff
 * status. Three implementations like the engine storage (memory, SQLite, Postgres), one contract suite.
 */

import type { CaseStore } from './case-types.js';
import { ConversationNotFoundError, ConversationChangedError } from './errors.js';
export { ConversationNotFoundError, ConversationChangedError };

export type HandoffStatus = 'bot' | 'waiting_human' | 'human';
/** Where a conversation comes from: WhatsApp through Meta or Evolution, or a Chatwoot inbox (agent-bot mode). */
export type ChannelProvider = 'meta' | 'evolution' | 'chatwoot';
export type Urgency = 'low' | 'medium' | 'high' | 'critical';

/**
 * What kind of item: customer text to process, a non-text message that gets the text-only notice, a message
 * our business number sent (an agent replying from WhatsApp: the conversation goes to `human`), or a reply
 * the bot sent (kept so admins see the whole conversation and our own echoes are not taken for an agent),
 * a reply an agent sent from the console (`agent_message`, `name` = the agent's display name), a note of
 * what happened (`system_note`: claimed, released, resolved; those two are stored already `done`), or the
 * customer opening the chat without writing (Meta `request_welcome`: answered with a greeting).
 */
export type InboxKind = 'text' | 'text_only_notice' | 'agent_reply' | 'bot_reply' | 'welcome_request' | 'agent_message' | 'system_note';

/** pending → processing (a run took it) → done; `forwarded` when a human owns the conversation. */
export type InboxStatus = 'pending' | 'processing' | 'done' | 'forwarded';

export interface InboxItem {
  provider: ChannelProvider;
  /** The provider's message id: redeliveries of the same id are dropped. */
  messageId: string;
  conversationKey: string;
  kind: InboxKind;
  /** Customer identity (digits when known, else the provider's opaque id). */
  customer: string;
  name?: string;
  text: string;
  /** When the customer sent it (provider timestamp, epoch ms): the processing order. */
  sentAt: number;
  /** The normalized message as received (for admins and reprocessing). */
  raw?: unknown;
}

export interface InboxRecord extends InboxItem {
  id: number;
  status: InboxStatus;
  receivedAt: number;
  runId?: string;
  processedAt?: number;
}

/** A message zapflow sent, by the id the provider gave back. */
export interface OwnMessage {
  provider: ChannelProvider;
  messageId: string;
  conversationKey: string;
  sentAt: number;
}

export interface ConversationRecord {
  conversationKey: string;
  provider: ChannelProvider;
  customer: string;
  name?: string;
  handoffStatus: HandoffStatus;
  /** Who took the conversation (a user id, `ADMIN_TOKEN`, or `whatsapp` for a reply from the phone), when `human`. */
  assignedAgent?: string;
  /** Their display name (the 409 of a second claim and the customer's "agent joined" notice use it). */
  assignedAgentName?: string;
  /**
   * The open handoff within its case: the protocol for the case's first handoff, `<protocol>.<n>` for the
   * n-th. Keys its alert and re-alerts, so a case handed over twice alerts the agents twice.
   */
  handoffRef?: string;
  /** The protocol of the open handoff. */
  protocolNumber?: string;
  urgency?: Urgency;
  reason?: string;
  /** When the conversation started waiting for a person (SLA clock). */
  waitingSince?: number;
  /** SLA re-alerts sent for the open handoff. */
  realerts: number;
  lastAlertAt?: number;
  lastCustomerMessageAt?: number;
  /** Last time an agent acted (claim, reply): the idle release counts from here. */
  lastAgentActivityAt?: number;
  createdAt: number;
  updatedAt: number;
}

export type ConversationPatch = Partial<Omit<ConversationRecord, 'conversationKey' | 'provider' | 'customer' | 'createdAt' | 'updatedAt'>>;

/**
 * A precondition of `updateConversation` (compare-and-set): the update applies only if the row still holds
 * these values when it is written, so two writers that read the same row cannot overwrite each other.
 */
export interface ConversationExpectation {
  /** The status must be one of these. */
  handoffStatus?: readonly HandoffStatus[];
  /** The re-alert count must still be this (an increment that read it). */
  realerts?: number;
  /** Nothing changed the row since it was read (its updatedAt is a version). */
  updatedAt?: number;
}

/** What the inbox holds that is owed to customers, for readiness: is the backlog moving? */
export interface InboxProgress {
  /** When the oldest message still pending or processing arrived (none: nothing is owed). */
  oldestWaitingAt?: number;
  /** The latest time a message that arrived at or after `oldestWaitingAt` (and `recentFrom`) was finished. */
  lastFinishedAt?: number;
}

export interface ServiceStore {
  readonly kind: string;
  init(): Promise<void>;
  close(): Promise<void>;

  /**
   * Stores the items in ONE transaction and returns those that were new (duplicates — same provider and
   * message id — are dropped silently: providers redeliver). Creates the conversation rows it needs.
   */
  insertInbox(items: InboxItem[], now: number): Promise<InboxRecord[]>;
  /**
   * Stores items that need no processing (the bot's own replies) as `done` in one statement, so a crash can
   * never leave one pending; duplicates are dropped like insertInbox's.
   */
  recordProcessed(items: InboxItem[], now: number): Promise<void>;
  /** Conversations with pending or processing items (start-up pickup after a crash). */
  conversationsWithPendingInbox(): Promise<string[]>;
  /**
   * The conversation's next batch, in the customer's order (sentAt, then arrival):
   * - when a crashed process left items `processing`, exactly the items of that earlier run (they keep its
   *   runId, so the caller resumes that run with the very messages its input held) and nothing else: the
   *   messages that arrived meanwhile wait for their own turn;
   * - otherwise every pending item, marked processing for `runId`.
   */
  takePending(conversationKey: string, runId: string, now: number): Promise<InboxRecord[]>;
  markInbox(ids: number[], status: InboxStatus, now: number): Promise<void>;
  recentMessages(conversationKey: string, limit: number): Promise<InboxRecord[]>;

  /**
   * Remembers the provider ids of messages zapflow itself sent (idempotent), so an echo of one of them
   * (Evolution `send.message`, a `fromMe` upsert) is not taken for a person answering.
   */
  recordOwnMessages(messages: OwnMessage[]): Promise<void>;
  /** Whether zapflow itself sent this provider message id. */
  isOwnMessage(provider: OwnMessage['provider'], messageId: string): Promise<boolean>;

  getConversation(conversationKey: string): Promise<ConversationRecord | undefined>;
  /**
   * Applies the patch atomically; with `expected`, only if the row still matches it, else throws
   * ConversationChangedError (nothing written).
   */
  updateConversation(conversationKey: string, patch: ConversationPatch, now: number, expected?: ConversationExpectation): Promise<ConversationRecord>;
  listConversations(filter: { handoffStatus?: HandoffStatus; limit?: number }): Promise<ConversationRecord[]>;
  /** How many conversations have this handoff status (metrics), without reading them. */
  countConversations(handoffStatus: HandoffStatus): Promise<number>;
  /**
   * Stores what we said or did in the conversation's thread (bot and agent messages, system notes) as
   * already `done`, so the dispatcher never takes them for customer messages. Duplicates are dropped.
   */
  appendThread(items: InboxItem[], now: number): Promise<void>;
  /** Cases, their runs and typifications, the audit log, corrections and the search (./case-types.ts). */
  readonly cases: CaseStore;
  /**
   * The oldest message owed and the last time one that arrived after it (and after `recentFrom`, which bounds
   * the scan) was finished: readiness asks whether the backlog is moving.
   */
  inboxProgress(recentFrom: number): Promise<InboxProgress>;
  /** Inbox rows and conversations idle since before `before` (retention). */
  purge(before: number): Promise<{ inbox: number; conversations: number }>;
}

