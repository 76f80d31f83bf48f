import type { ConversationExpectation } from './types.js';

/**
 * The errors of the service store (conversations, cases), each with a stable `code` (logs, the admin API's 4xx bodies, tests) and a message
 * that says what to do.
 */

export class CaseNotFoundError extends Error {
  readonly code = 'CASE_NOT_FOUND';
  constructor(readonly caseId: string) {
    super(`Case "${caseId}" does not exist.`);
    this.name = 'CaseNotFoundError';
  }
}

export class ConversationNotFoundError extends Error {
  readonly code = 'CONVERSATION_NOT_FOUND';
  constructor(readonly conversationKey: string) {
    super(`Conversation "${conversationKey}" does not exist: no message was ever received for it.`);
    this.name = 'ConversationNotFoundError';
  }
}

export class ConversationChangedError extends Error {
  readonly code = 'CONVERSATION_CHANGED';
  constructor(readonly conversationKey: string, readonly expected: ConversationExpectation) {
    super(`Conversation "${conversationKey}" changed since it was read (expected ${JSON.stringify(expected)}): read it again and decide again.`);
    this.name = 'ConversationChangedError';
  }
}
