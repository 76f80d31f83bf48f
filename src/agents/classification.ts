/**
 * The classification calls the workflows and the CLI share: one function per question, each building the
 * same `ModelRequest` for any `Model` (Claude or embedded) and checking the answer against the taxonomy.
 * A level's answer must be one of the children of the path chosen so far; anything else is rejected with
 * InvalidTaxonomyPathError (never stored), and the workflow decides whether to retry or hand over.
 */
import { z } from 'zod';
import { InvalidTaxonomyPathError, type Taxonomy, type TaxonomyLevel, type TaxonomyPath } from '../taxonomy/index.js';
import { emotions, escalationReasons, urgencies } from './embedded/dataset.js';
import type { Candidate, ConversationMessage, Model, ModelRequest, ModelUsage } from './model.js';

/** Answer to a 'classify' task: one candidate id (the field Claude's answer tool fills) and a confidence. */
export const levelChoiceSchema = z.object({
  id: z.string().min(1),
  confidence: z.number().min(0).max(1),
});
export type LevelChoice = z.infer<typeof levelChoiceSchema>;

/** Answer to an 'escalation' task. `reason` is required when escalating and dropped (null) otherwise. */
export const escalationAnalysisSchema = z
  .object({
    shouldEscalate: z.boolean(),
    reason: z.enum(escalationReasons).nullable(),
    urgency: z.enum(urgencies),
    emotion: z.enum(emotions),
    /** One line in pt-BR for the agents' alert. */
    summary: z.string().min(1).max(400),
    confidence: z.number().min(0).max(1).optional(),
  })
  .refine((a) => !a.shouldEscalate || a.reason !== null, {
    message: 'reason is required when shouldEscalate is true',
    path: ['reason'],
  })
  .transform((a) => (a.shouldEscalate ? a : { ...a, reason: null }));
export type EscalationAnalysis = z.infer<typeof escalationAnalysisSchema>;

const pathSchema = z.object({ businessUnit: z.string(), product: z.string(), motive: z.string(), submotive: z.string() });

/** Answer to a 'validate_path' task: is the proposed path right, and the path the model stands for. */
export const pathValidationSchema = z.object({
  valid: z.boolean(),
  confidence: z.number().min(0).max(1),
  path: pathSchema,
});
export type PathValidation = z.infer<typeof pathValidationSchema>;

export interface ClassificationCallOptions {
  signal?: AbortSignal;
  /** Overrides the model's default id (Claude: e.g. a stronger model for escalation). */
  modelId?: string;
  /** Agent name in logs and errors. @default per call, e.g. 'typification.product' */
  agentName?: string;
}

export interface CallMeta {
  modelId: string;
  usage: ModelUsage;
  latencyMs: number;
}

const levelNames: Record<TaxonomyLevel, string> = {
  businessUnit: 'business unit',
  product: 'product',
  motive: 'motive',
  submotive: 'submotive',
};

const contextByTaxonomy = new WeakMap<Taxonomy, string>();

/** The taxonomy as reference text (long and fixed: Claude marks it for prompt caching). */
export function taxonomyContext(taxonomy: Taxonomy): string {
  let text = contextByTaxonomy.get(taxonomy);
  if (text === undefined) {
    const lines = [`Taxonomy "${taxonomy.name}" v${taxonomy.version} (ids, labels and descriptions in pt-BR):`];
    const walk = (path: string[], depth: number): void => {
      for (const node of taxonomy.children(path)) {
        lines.push(`${'  '.repeat(depth)}- ${node.id}: ${node.label} — ${node.description}`);
        if (node.children.length > 0) walk([...path, node.id], depth + 1);
      }
    };
    walk([], 0);
    text = lines.join('\n');
    contextByTaxonomy.set(taxonomy, text);
  }
  return text;
}

function candidatesOf(taxonomy: Taxonomy, parentPath: readonly string[]): Candidate[] {
  return taxonomy.children(parentPath).map((n) => ({ id: n.id, label: n.label, description: n.description }));
}

/**
 * Asks the model for one level, among the children of `parentPath` only. Throws InvalidTaxonomyPathError
 * when `parentPath` does not lead to `level`, or when the model answers an id outside the candidates.
 */
export async function classifyLevel(
  model: Model,
  taxonomy: Taxonomy,
  level: TaxonomyLevel,
  parentPath: readonly string[],
  conversation: readonly ConversationMessage[],
  options: ClassificationCallOptions = {},
): Promise<LevelChoice & CallMeta> {
  const expected = taxonomy.levels[parentPath.length];
  if (expected !== level) {
    throw new InvalidTaxonomyPathError(parentPath, `a ${level} is not chosen after ${parentPath.length} levels (expected ${expected ?? 'none'})`);
  }
  const candidates = candidatesOf(taxonomy, parentPath);
  const request: ModelRequest<LevelChoice> = {
    agentName: options.agentName ?? `typification.${level}`,
    instructions:
      `Classify the customer's main issue in this WhatsApp support conversation (Brazilian Portuguese): choose its ` +
      `${levelNames[level]} among the candidates only, answering with the candidate's id and your confidence (0–1).`,
    context: taxonomyContext(taxonomy),
    conversation: [...conversation],
    input: parentPath.length > 0 ? `Path chosen so far: ${parentPath.join(' > ')}` : undefined,
    task: { kind: 'classify', level, parentPath: [...parentPath], candidates },
    responseSchema: levelChoiceSchema,
    signal: options.signal,
    modelId: options.modelId,
  };
  const response = await model.complete(request);
  if (!candidates.some((c) => c.id === response.content.id)) {
    throw new InvalidTaxonomyPathError([...parentPath, response.content.id], `the model answered "${response.content.id}", which is not a ${levelNames[level]} under this path`);
  }
  return { ...response.content, modelId: response.modelId, usage: response.usage, latencyMs: response.latencyMs };
}

export interface ConversationTypification extends CallMeta {
  path: TaxonomyPath;
  /** Product of the four levels' confidences. */
  confidence: number;
  levels: Array<{ level: TaxonomyLevel; id: string; confidence: number }>;
}

/** The four levels in order, each constrained to the children of the previous choice. */
export async function classifyConversation(
  model: Model,
  taxonomy: Taxonomy,
  conversation: readonly ConversationMessage[],
  options: ClassificationCallOptions = {},
): Promise<ConversationTypification> {
  const path: string[] = [];
  const levels: ConversationTypification['levels'] = [];
  const usage: ModelUsage = { inputTokens: 0, outputTokens: 0 };
  let latencyMs = 0;
  let modelId = '';
  let confidence = 1;
  for (const level of taxonomy.levels) {
    const choice = await classifyLevel(model, taxonomy, level, path, conversation, options);
    path.push(choice.id);
    levels.push({ level, id: choice.id, confidence: choice.confidence });
    confidence *= choice.confidence;
    usage.inputTokens += choice.usage.inputTokens;
    usage.outputTokens += choice.usage.outputTokens;
    latencyMs += choice.latencyMs;
    modelId = choice.modelId;
  }
  taxonomy.assertValidPath(path);
  return { path, confidence, levels, modelId, usage, latencyMs };
}

/** Should a human take over, why, how urgent, with what emotion, plus a one-line pt-BR summary. */
export async function analyzeEscalation(
  model: Model,
  conversation: readonly ConversationMessage[],
  options: ClassificationCallOptions = {},
): Promise<EscalationAnalysis & CallMeta> {
  const response = await model.complete({
    agentName: options.agentName ?? 'escalation',
    instructions:
      'Decide whether a human agent must take over this WhatsApp support conversation (Brazilian Portuguese), ' +
      'following the triggers in priority order: security_concern, explicit_request, high_value (a problem with ' +
      'R$ 5.000 or more at stake), multiple_attempts, frustration_detected, complex_issue, system_limitation. ' +
      'Calm questions, amounts under R$ 5.000 in routine problems, questions about large amounts and mild impatience ' +
      'are not triggers. Give urgency, the dominant emotion and a one-line summary in pt-BR.',
    conversation: [...conversation],
    task: { kind: 'escalation' },
    responseSchema: escalationAnalysisSchema,
    signal: options.signal,
    modelId: options.modelId,
  });
  return { ...response.content, modelId: response.modelId, usage: response.usage, latencyMs: response.latencyMs };
}

/** Re-checks a complete path (medium confidence). The returned path is always a valid one. */
export async function validatePath(
  model: Model,
  taxonomy: Taxonomy,
  conversation: readonly ConversationMessage[],
  path: TaxonomyPath,
  options: ClassificationCallOptions = {},
): Promise<PathValidation & CallMeta> {
  taxonomy.assertValidPath(path);
  const response = await model.complete({
    agentName: options.agentName ?? 'typification.validate',
    instructions:
      'Check whether this typification path describes the customer\'s main issue. Answer valid=true with the same ' +
      'path if it does; otherwise valid=false and the correct complete path (ids from the taxonomy).',
    context: taxonomyContext(taxonomy),
    conversation: [...conversation],
    input: `Proposed path: ${path.join(' > ')}`,
    task: { kind: 'validate_path', path: [...path] },
    responseSchema: pathValidationSchema,
    signal: options.signal,
    modelId: options.modelId,
  });
  const answered = [response.content.path.businessUnit, response.content.path.product, response.content.path.motive, response.content.path.submotive];
  taxonomy.assertValidPath(answered);
  return { ...response.content, modelId: response.modelId, usage: response.usage, latencyMs: response.latencyMs };
}
