/** Public API of the agents module: Agent, Team, the Model seam and its providers, and their errors. */
export type {
  Candidate,
  ConversationMessage,
  Model,
  ModelRequest,
  ModelResponse,
  ModelTask,
  ModelUsage,
  TaxonomyLevel,
} from './model.js';
export { Agent, type AgentConfig, type AgentInput, type AgentMetrics, type AgentRunOptions, type AgentRunResult } from './agent.js';
export {
  Team,
  type CollaborateTeamConfig,
  type MemberAnswer,
  type RouteChoice,
  type RouteSelector,
  type RouteTeamConfig,
  type TeamConfig,
  type TeamMember,
  type TeamMerger,
  type TeamRunResult,
} from './team.js';
export { ClaudeModel, type ClaudeModelOptions, ANSWER_TOOL_NAME } from './claude/index.js';
export * from './errors.js';
