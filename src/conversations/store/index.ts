/** The service's inbox and conversation tables: one interface, three backends (one contract suite). */
export type * from './types.js';
export { ConversationChangedError, ConversationNotFoundError } from './types.js';
export { MemoryServiceStore } from './memory.js';
export { SqliteServiceStore } from './sqlite.js';
export type { SqliteServiceStoreOptions } from './sqlite.js';
export { PostgresServiceStore } from './postgres.js';
export type { PostgresServiceStoreOptions } from './postgres.js';
