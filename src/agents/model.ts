/**
 * The model seam: the workflows' agents ask a `Model` for a structured answer. Two implementations:
 * `ClaudeModel` (src/agents/claude/, @anthropic-ai/sdk, when ANTHROPIC_API_KEY is set) and `EmbeddedModel`
 * (src/agents/embedded/, offline, the default). Both receive the same request and must return content that
 * passes `responseSchema`; an answer that does not is repaired once, then a ModelOutputError is thrown (the
 * workflow then hands the conversation to a human).
 *
 * `task` says what is being asked in a form an offline classifier can act on (Claude reads `instructions`,
 * `context` and the conversation instead; it still gets the candidate ids so it can only pick among them).
 */
import type { z } from 'zod';

export type TaxonomyLevel = 'businessUnit' | 'product' | 'motive' | 'submotive';

export interface ConversationMessage {
  role: 'customer' | 'bot' | 'agent';
  text: string;
}

export interface Candidate {
  id: string;
  label: string;
  description: string;
}

export type ModelTask =
  /** Pick one of `candidates` (the children of the path chosen so far) for `level`. */
  | { kind: 'classify'; level: TaxonomyLevel; parentPath: string[]; candidates: Candidate[] }
  /** Should a human take over, why, how urgent, what emotion, a one-line summary. */
  | { kind: 'escalation' }
  /** Re-check a complete path (medium confidence): is it right, and if not which leaf is. */
  | { kind: 'validate_path'; path: string[] }
  /** Free-form structured generation (reports, summaries); the embedded model may decline (ModelUnsupportedTaskError). */
  | { kind: 'generate'; purpose: string };

export interface ModelRequest<T> {
  /** Agent name, for logs and metrics. */
  agentName: string;
  /** What the agent must do (short). */
  instructions: string;
  /** Long, fixed reference text (the taxonomy); Claude marks it for prompt caching. */
  context?: string;
  conversation: ConversationMessage[];
  /** Extra input for this call (e.g. the path chosen so far), if any. */
  input?: string;
  /** Labeled conversations similar to this one (few-shot); Claude reads them, the embedded model ignores them. */
  examples?: readonly FewShotExample[];
  task: ModelTask;
  responseSchema: z.ZodType<T>;
  signal?: AbortSignal;
  /** Overrides the model's default id (e.g. a stronger model for escalation analysis). */
  modelId?: string;
}

export interface FewShotExample {
  conversation: readonly ConversationMessage[];
  /** The labeled taxonomy path, business unit first. */
  path: readonly string[];
  escalation: { shouldEscalate: boolean; reason: string | null };
}

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheCreationInputTokens?: number;
}

export interface ModelResponse<T> {
  content: T;
  modelId: string;
  usage: ModelUsage;
  latencyMs: number;
}

export interface Model {
  /** 'claude' | 'embedded' | a test double's name. */
  readonly provider: string;
  complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>>;
}
