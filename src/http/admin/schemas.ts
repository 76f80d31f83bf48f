/**
 * The shapes admin requests must have. Objects are strict: an unknown field (`workflowId=` instead of
 * `workflow=`) is a 400 naming it, not a filter silently ignored.
 */
import { z } from 'zod';
import { RequestValidationError } from '../errors.js';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'error', 'cancelled'] as const;
const OUTBOX_STATUSES = ['pending', 'delivering', 'delivered', 'dead'] as const;

const page = {
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
};

/** Conversation keys (`meta:<phone id>:<customer>`), run ids, workflow ids: opaque, bounded. */
const identifier = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const ListRunsQuery = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  workflow: identifier.optional(),
  conversation: identifier.optional(),
  ...page,
});

export const RerunBody = z.strictObject({
  fromStep: identifier.optional(),
});

export const StartRunBody = z.strictObject({
  conversationKey: identifier,
  message: z.string().trim().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'),
});

export const ConversationQuery = z.strictObject({
  /** How many recent messages to show. */
  messages: z.coerce.number().int().min(0).max(200).default(20),
});

export const ClaimBody = z.strictObject({
  /** ADMIN_TOKEN automation only: claim on behalf of this agent name (a signed-in user claims as themselves). */
  agent: z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional(),
  /** Admins: take the conversation from the agent who holds it. */
  reassign: z.boolean().optional(),
});

/** A reply id: the same id twice is one message (a retried request does not send twice). */
export const REPLY_ID = /^[A-Za-z0-9_-]{8,64}$/;

export const ReplyBody = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters'),
  replyId: z.string().regex(REPLY_ID, 'must be 8–64 letters, digits, - or _').optional(),
});

const taxonomyId = z.string().trim().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
export const TypificationBody = z.strictObject({
  businessUnit: taxonomyId,
  product: taxonomyId,
  motive: taxonomyId,
  submotive: taxonomyId,
});

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

export const ListConversationsQuery = z.strictObject({
  /** Phone (full or last digits), customer name, or protocol number. */
  query: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  status: z.enum(['bot', 'waiting_human', 'human']).optional(),
  limit: page.limit,
});

export const QueueQuery = z.strictObject({
  /** Only the conversations the caller holds. */
  mine: booleanFlag.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const AuditQuery = z.strictObject({
  conversation: identifier.optional(),
  action: z.string().trim().min(1).max(32).optional(),
  actor: z.string().trim().min(1).max(128).optional(),
  ...page,
});

export const ListOutboxQuery = z.strictObject({
  status: z.enum(OUTBOX_STATUSES).optional(),
  ...page,
});

export const OutboxIdParam = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** Parses or throws a 400 listing every issue. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'body' | 'params'): z.infer<T> {
  if (where === 'body' && value === undefined) {
    // express.json leaves the body undefined when the request has none or is not sent as JSON.
    throw new RequestValidationError('body', [{ path: '', message: 'a JSON object is required (send it with Content-Type: application/json)' }]);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw RequestValidationError.fromZod(where, result.error);
  return result.data;
}
