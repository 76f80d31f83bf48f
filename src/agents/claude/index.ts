export { ClaudeModel, type ClaudeModelOptions } from './claude-model.js';
export { ANSWER_TOOL_NAME } from './prompt.js';
export { GuidedClaudeModel, type GuidedClaudeOptions } from './guided-model.js';
