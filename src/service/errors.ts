/**
 * The errors of the message path and the agents' actions, each with a stable `code` (logs, the admin API's 4xx
 * bodies, tests) and a message that says what to do.
 */
import type { HandoffStatus } from '../conversations/store/types.js';

/**
 * Thrown by a processor whose batch cannot run yet — its run is still executing (the engine's recovery is
 * resuming it): the conversation is tried again after `retryAfterMs` without holding a turn slot meanwhile,
 * so other conversations never queue behind it. Not a failure: no backoff, no error log.
 */
export class TurnDeferredError extends Error {
  readonly code = 'TURN_DEFERRED';
  constructor(readonly conversationKey: string, readonly retryAfterMs: number, detail: string) {
    super(`The turn of conversation "${conversationKey}" waits: ${detail}`);
    this.name = 'TurnDeferredError';
  }
}

export class InvalidTypificationError extends Error {
  readonly code = 'INVALID_TYPIFICATION';
  constructor(readonly path: string[]) {
    super(`"${path.join(' › ')}" is not a path of the taxonomy: pick business unit › product › motive › submotive, each a child of the one before.`);
    this.name = 'InvalidTypificationError';
  }
}

export class ForbiddenActionError extends Error {
  readonly code = 'FORBIDDEN_ACTION';
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenActionError';
  }
}

export class NoCaseError extends Error {
  readonly code = 'NO_OPEN_CASE';
  constructor(readonly conversationKey: string) {
    super(`Conversation "${conversationKey}" has no open case: it is resolved already (a new customer message opens the next one).`);
    this.name = 'NoCaseError';
  }
}

export class InvalidTransitionError extends Error {
  readonly code = 'INVALID_HANDOFF_TRANSITION';
  constructor(readonly conversationKey: string, readonly from: HandoffStatus, readonly action: string) {
    super(`Conversation "${conversationKey}" is ${from}: cannot ${action}.`);
    this.name = 'InvalidTransitionError';
  }
}

/** A second agent tried to claim a conversation another agent holds (an admin may reassign explicitly). */
export class ConversationClaimedError extends Error {
  readonly code = 'CONVERSATION_CLAIMED';
  readonly heldBy: { id: string; name: string };
  constructor(readonly conversationKey: string, holder: { id: string; name: string }) {
    super(`Conversation "${conversationKey}" is held by ${holder.name}. Ask them to release it, or an admin can reassign it with { "reassign": true }.`);
    this.name = 'ConversationClaimedError';
    this.heldBy = holder;
  }
}

/** A row's payload does not match its topic's schema: a bug in the step that wrote it, never fixed by retrying. */
export class OutboxPayloadError extends Error {
  readonly code = 'OUTBOX_PAYLOAD_INVALID';
  readonly retryable = false;

  constructor(readonly topic: string, detail: string) {
    super(`Outbox payload for topic "${topic}" is invalid (${detail}); fix the step that enqueues it, then retry the row from the admin API.`);
    this.name = 'OutboxPayloadError';
  }
}
