// Public API of people: accounts, sessions, API tokens, audit.
export type { Actor } from './actor.js';
export { actorLabel } from './actor.js';
export { PeopleStore, PeopleError, agentDirectory, actorOf, USERNAME } from './store.js';
export type { AgentDirectory, AuditEntry, Role, User } from './store.js';
export { openPeopleStore } from './open.js';
export { hashPassword, verifyPassword, generatePassword, newSecret, digestSecret, secretsEqual } from './secrets.js';
