/**
 * EmbeddedModel: the offline `Model` (the default when no ANTHROPIC_API_KEY is set). It answers the same
 * requests Claude answers — pick a level among candidates, analyse escalation, re-check a path — from the
 * trained classifiers, and its answer is parsed with the request's `responseSchema` like any model's.
 * Deterministic: the same conversation always gets the same answer.
 */
import { defaultTaxonomy, type Taxonomy, type TaxonomyPath } from '../../taxonomy/index.js';
import { ModelAbortedError, ModelOutputError, ModelUnsupportedTaskError } from '../errors.js';
import type { Model, ModelRequest, ModelResponse } from '../model.js';
import type { ConversationAnalysis, EmbeddedClassifiers } from './classifiers.js';
import { activeModel, defaultModelDir, loadModelVersion } from './model-versions.js';
import { loadOrTrainClassifiers, type LoadClassifiersOptions } from './store.js';
import { escalationSummary } from './summary.js';

export const EMBEDDED_MODEL_ID = 'zapflow-embedded-1';

/** Conversations whose analysis is kept (a turn's calls reuse it; concurrent turns each keep theirs). */
const RECENT_ANALYSES = 256;

/** Options of `EmbeddedModel.load`; the taxonomy defaults to the bundled one. */
export type EmbeddedModelLoadOptions = Partial<LoadClassifiersOptions> & {
  /** Where promoted model versions live; `false` ignores them (the bundled model). @default defaultModelDir() */
  modelDir?: string | false;
  /** Load this version (or model file) instead of the promoted one. */
  version?: string;
};

export class EmbeddedModel implements Model {
  readonly provider = 'embedded';
  /** `zapflow-embedded-1@<version>`: recorded with every answer, so each run says which model typified it. */
  readonly modelId: string;

  constructor(
    readonly classifiers: EmbeddedClassifiers,
    /** 'cache' or 'trained': how the classifiers were obtained (for startup logs and the benchmark). */
    readonly origin: 'cache' | 'trained' | 'given' | 'version' = 'given',
    /** A trained version's content hash, or `builtin-…` for the bundled model. */
    readonly version = 'builtin',
  ) {
    this.modelId = `${EMBEDDED_MODEL_ID}@${version}`;
  }

  /**
   * The promoted version when an admin promoted one (`zapflow model promote`), else the bundled model:
   * cached classifiers, or trained from the bundled dev set (a few seconds, then cached).
   */
  static load(options: EmbeddedModelLoadOptions = {}): EmbeddedModel {
    const taxonomy = options.taxonomy ?? defaultTaxonomy();
    const dir = options.modelDir === false ? undefined : (options.modelDir ?? defaultModelDir());
    const version = options.version ?? (dir ? activeModel(dir)?.version : undefined);
    if (version !== undefined) {
      const loaded = loadModelVersion(version, taxonomy, dir);
      return new EmbeddedModel(loaded.classifiers, 'version', loaded.version);
    }
    const loaded = loadOrTrainClassifiers({ ...options, taxonomy });
    return new EmbeddedModel(loaded.classifiers, loaded.origin, `builtin-${loaded.fingerprint.slice(0, 12)}`);
  }

  /** Content hashes of the conversations this model was trained on (see content-hash.ts). */
  get trainingHashes(): ReadonlySet<string> {
    return this.classifiers.trainingHashes;
  }

  get taxonomy(): Taxonomy {
    return this.classifiers.taxonomy;
  }

  async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    const started = performance.now();
    if (request.signal?.aborted) throw new ModelAbortedError(request.agentName, request.signal.reason);
    const answer = this.#answer(request);
    const parsed = request.responseSchema.safeParse(answer);
    if (!parsed.success) {
      // The embedded model answers in the shapes of src/agents/classification.ts; another shape cannot be repaired.
      throw new ModelOutputError(request.agentName, `embedded answer does not fit the responseSchema: ${parsed.error.message.slice(0, 300)}`, 1);
    }
    return {
      content: parsed.data,
      modelId: this.modelId,
      usage: { inputTokens: 0, outputTokens: 0 },
      latencyMs: performance.now() - started,
    };
  }

  #answer<T>(request: ModelRequest<T>): unknown {
    const { task } = request;
    const analysis = this.#analyze(request.conversation);
    switch (task.kind) {
      case 'classify': {
        if (task.candidates.length === 0) {
          throw new ModelOutputError(request.agentName, `no candidates offered for ${task.level}`, 1);
        }
        const ids = task.candidates.map((c) => c.id);
        const choice = this.classifiers.typifier.distribution.choose(analysis.leafProbabilities, task.parentPath, ids);
        // No offered id is a child of parentPath: answer the first one and let the caller's taxonomy check refuse it.
        // No topic yet ("oi", "?"): a level must still be named, but with no confidence the workflow's low
        // route (a clarifying question) is taken instead of a self-service text.
        const confidence = analysis.hasTopic && choice ? round(choice.probability) : 0;
        return choice ? { id: choice.id, confidence } : { id: ids[0], confidence: 0 };
      }
      case 'escalation': {
        const verdict = analysis.escalation;
        return {
          shouldEscalate: verdict.shouldEscalate,
          reason: verdict.reason,
          urgency: verdict.urgency,
          emotion: verdict.emotion,
          summary: escalationSummary(this.taxonomy, analysis.path, verdict, verdict.signals.largestAmount),
          confidence: round(verdict.triggers.length > 0 ? 0.9 : Math.max(verdict.classifierProbability, 1 - verdict.classifierProbability)),
        };
      }
      case 'validate_path': {
        const asked = task.path;
        const valid = this.taxonomy.isValidPath(asked);
        const askedProbability = valid ? this.#pathProbability(analysis.leafProbabilities, asked) : 0;
        const best = analysis.path;
        const agrees = valid && asked.every((id, depth) => id === best[depth]);
        const path = agrees || !valid ? best : askedProbability >= analysis.confidence ? asked : best;
        return {
          valid: agrees,
          confidence: round(agrees ? analysis.confidence : Math.max(analysis.confidence, askedProbability)),
          path: { businessUnit: path[0], product: path[1], motive: path[2], submotive: path[3] },
        };
      }
      case 'generate':
        throw new ModelUnsupportedTaskError(this.provider, task.kind);
    }
  }

  /**
   * One turn asks about the same conversation 5–7 times (four levels, escalation, maybe validation, in both
   * workflows): analyse it once. Bounded and keyed by the exact texts, so answers stay deterministic.
   */
  #analyze(conversation: ModelRequest<unknown>['conversation']): ConversationAnalysis {
    const key = JSON.stringify(conversation);
    const cached = this.#recent.get(key);
    if (cached) return cached;
    const analysis = this.classifiers.analyze(conversation);
    this.#recent.set(key, analysis);
    if (this.#recent.size > RECENT_ANALYSES) this.#recent.delete(this.#recent.keys().next().value as string);
    return analysis;
  }

  readonly #recent = new Map<string, ConversationAnalysis>();

  #pathProbability(leaves: Float64Array, path: TaxonomyPath): number {
    const index = this.taxonomy.leaves().findIndex((leaf) => leaf[3] === path[3]);
    return index < 0 ? 0 : (leaves[index] as number);
  }
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
