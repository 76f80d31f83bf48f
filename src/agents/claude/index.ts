export { ClaudeModel, type ClaudeModelOptions } from './claude-model.js';
export { ANSWER_TOOL_NAME } from './prompt.js';
