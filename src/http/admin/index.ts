// Public API of the admin HTTP API.
export { createAdminRouter } from './router.js';
export type { AdminPorts, AdminWorkflowsPort } from './ports.js';
export { buildConversationView, maskConversationKey, type ConversationView } from './conversation-view.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './schemas.js';
