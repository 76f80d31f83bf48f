/**
 * Errors of the outbox dispatcher. (Kept beside it until the conversations module has one errors.ts.)
 */

/** A row's payload does not match its topic's schema: a bug in the step that wrote it, never fixed by retrying. */
export class OutboxPayloadError extends Error {
  readonly code = 'OUTBOX_PAYLOAD_INVALID';
  readonly retryable = false;

  constructor(readonly topic: string, detail: string) {
    super(`Outbox payload for topic "${topic}" is invalid (${detail}); fix the step that enqueues it, then retry the row from the admin API.`);
    this.name = 'OutboxPayloadError';
  }
}
