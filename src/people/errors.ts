/**
 * The errors of accounts, sessions and API tokens, each with a stable `code` (logs, the admin API's 4xx bodies, tests) and a message
 * that says what to do.
 */

export class PeopleError extends Error {
  constructor(readonly code: 'USERNAME_TAKEN' | 'USER_NOT_FOUND' | 'INVALID_ACCOUNT', message: string) {
    super(message);
    this.name = 'PeopleError';
  }
}
