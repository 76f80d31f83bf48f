// Public API of the zapflow package: the engine (workflows, steps, storage), agents and models, the
// taxonomy, the two product workflows and their registry, and the service's composition root.
export * from './engine/index.js';
export * from './agents/index.js';
export { EmbeddedModel } from './agents/embedded/index.js';
export { classifyConversation, classifyLevel, analyzeEscalation, validatePath } from './agents/classification.js';
export { Taxonomy, defaultTaxonomy, loadTaxonomy } from './taxonomy/index.js';
export {
  createWorkflows, getWorkflow, createConversationTypificationWorkflow, createHumanHandoffWorkflow, WORKFLOW_IDS, UnknownWorkflowError,
} from './workflows/registry.js';
export type { WorkflowDeps, WorkflowModels } from './workflows/deps.js';
export type { Notifier, CustomerMessenger, AgentAlert } from './service/ports.js';
export { loadWorkflowConfig } from './workflows/config.js';
export { createApp, type App } from './app.js';
export { loadConfig, ConfigError, type Config } from './config.js';
