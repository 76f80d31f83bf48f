export * from './errors.js';
export type * from './storage/types.js';
