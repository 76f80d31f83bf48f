// Public API of the zapflow package. Filled in by each module's own index.
export * from './engine/index.js';
