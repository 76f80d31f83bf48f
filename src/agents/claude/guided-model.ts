/**
 * Claude guided by the embedded model: each request carries the k labeled conversations nearest to this one
 * (cosine over the embedded model's TF-IDF features) as few-shot examples, and escalation is decided by both —
 * when Claude and the embedded model disagree on whether a person is needed, the customer gets a person
 * (missing one who needed help costs more than an extra handoff).
 */
import type { LabeledConversation } from '../embedded/dataset.js';
import type { EmbeddedModel } from '../embedded/embedded-model.js';
import type { SparseVector } from '../embedded/features.js';
import { ModelOutputError } from '../errors.js';
import type { ConversationMessage, FewShotExample, Model, ModelRequest, ModelResponse } from '../model.js';
import { addUsage } from '../usage.js';

export interface GuidedClaudeOptions {
  /** Few-shot examples per request. @default 4 */
  k?: number;
}

interface IndexedExample {
  vector: SparseVector;
  norm: number;
  example: FewShotExample;
}

/** Column → value (the featurizer's columns are not sorted, so a merge walk would miss matches). */
type DenseMap = Map<number, number>;

function toMap(v: SparseVector): DenseMap {
  const map: DenseMap = new Map();
  for (let i = 0; i < v.indices.length; i++) map.set(v.indices[i] as number, (map.get(v.indices[i] as number) ?? 0) + (v.values[i] as number));
  return map;
}

function cosine(a: DenseMap, aNorm: number, b: SparseVector, bNorm: number): number {
  let sum = 0;
  for (let i = 0; i < b.indices.length; i++) sum += (a.get(b.indices[i] as number) ?? 0) * (b.values[i] as number);
  return sum / (aNorm * bNorm);
}

function norm(v: SparseVector): number {
  let sum = 0;
  for (const value of v.values) sum += value * value;
  return Math.sqrt(sum) || 1;
}

const urgencyRank = ['low', 'medium', 'high', 'critical'];
/** Conversations whose nearest examples are kept (a worker runs at most MAX_CONCURRENT_CONVERSATIONS at once). */
const RECENT_CONVERSATIONS = 64;

export class GuidedClaudeModel implements Model {
  readonly provider = 'claude';
  readonly #index: IndexedExample[];
  readonly #k: number;
  /**
   * The nearest examples of the last conversations seen. A turn asks five times about the same conversation
   * (four taxonomy levels and the escalation analysis), and each search scores every labeled conversation
   * (~13 ms of CPU on a busy 2-core machine): worth four of five turns' searches when workers share a CPU.
   */
  readonly #recent = new Map<string, FewShotExample[]>();

  constructor(
    readonly claude: Model,
    readonly embedded: EmbeddedModel,
    labeled: readonly LabeledConversation[],
    options: GuidedClaudeOptions = {},
  ) {
    this.#k = options.k ?? 4;
    this.#index = labeled.map((c) => {
      const vector = embedded.classifiers.typifier.vectorize(c.messages);
      return { vector, norm: norm(vector), example: {
        conversation: c.messages,
        path: [c.label.businessUnit, c.label.product, c.label.motive, c.label.submotive],
        escalation: { shouldEscalate: c.escalation.shouldEscalate, reason: c.escalation.reason },
      } };
    });
  }

  /** The k labeled conversations closest to `conversation`, most similar first (ties: dataset order). */
  nearest(conversation: readonly ConversationMessage[]): FewShotExample[] {
    const key = JSON.stringify(conversation.map((message) => [message.role, message.text]));
    const known = this.#recent.get(key);
    if (known) return known;
    const examples = this.search(conversation);
    this.#recent.set(key, examples);
    // Oldest out first: a process works on a handful of conversations at a time.
    if (this.#recent.size > RECENT_CONVERSATIONS) this.#recent.delete(this.#recent.keys().next().value as string);
    return examples;
  }

  private search(conversation: readonly ConversationMessage[]): FewShotExample[] {
    const vector = this.embedded.classifiers.typifier.vectorize(conversation);
    const query = toMap(vector);
    const queryNorm = norm(vector);
    return this.#index
      .map((item, position) => ({ item, position, score: cosine(query, queryNorm, item.vector, item.norm) }))
      .sort((a, b) => b.score - a.score || a.position - b.position)
      .slice(0, this.#k)
      .map((s) => s.item.example);
  }

  async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    const guided: ModelRequest<T> = { ...request, examples: this.nearest(request.conversation) };
    if (request.task.kind !== 'escalation') return this.claude.complete(guided);
    const [claude, embedded] = await Promise.all([this.claude.complete(guided), this.embedded.complete(request)]);
    return mergeEscalation(request, claude, embedded);
  }
}

type EscalationLike = { shouldEscalate?: unknown; reason?: unknown; urgency?: unknown };

/** Claude's answer, escalated with the embedded model's reason and urgency when only the embedded model escalates. */
function mergeEscalation<T>(request: ModelRequest<T>, claude: ModelResponse<T>, embedded: ModelResponse<T>): ModelResponse<T> {
  const a = claude.content as EscalationLike;
  const b = embedded.content as EscalationLike;
  if (a.shouldEscalate === true || b.shouldEscalate !== true) return claude;
  const urgency = urgencyRank[Math.max(urgencyRank.indexOf(String(a.urgency)), urgencyRank.indexOf(String(b.urgency)), 1)];
  const merged = request.responseSchema.safeParse({ ...(claude.content as object), shouldEscalate: true, reason: b.reason, urgency });
  if (!merged.success) throw new ModelOutputError(request.agentName, `merged escalation does not fit the responseSchema: ${merged.error.message.slice(0, 200)}`, 1);
  return {
    content: merged.data,
    modelId: `${claude.modelId}+${embedded.modelId}`,
    usage: addUsage(claude.usage, embedded.usage),
    latencyMs: Math.max(claude.latencyMs, embedded.latencyMs),
  };
}
