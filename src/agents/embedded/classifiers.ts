/**
 * The trained embedded classifiers (typification + escalation) as one unit: trained together from a
 * labeled set, sharing one featurizer, and asked about one conversation at a time. A conversation is
 * featurised once and its scores cached (a workflow asks up to five questions about the same messages).
 */
import type { Taxonomy, TaxonomyPath } from '../../taxonomy/index.js';
import type { ConversationMessage } from '../model.js';
import type { LabeledConversation } from './dataset.js';
import { EscalationAnalyzer, type EscalationOptions, type EscalationVerdict } from './escalation.js';
import type { SparseVector } from './features.js';
import { defaultSvmOptions, StackedSvms, type LinearSvm } from './svm.js';
import type { DecodedPath } from './path-distribution.js';
import { hasTopic } from './abstain.js';
import { customerStatesArrival, withoutNonArrival } from './arrival.js';
import { conversationHash } from './content-hash.js';
import { defaultTypifierOptions, Typifier, type TypifierOptions } from './typifier.js';

export interface EmbeddedTrainingOptions {
  typifier: TypifierOptions;
  escalation: EscalationOptions;
}

export const defaultEmbeddedTrainingOptions: EmbeddedTrainingOptions = {
  typifier: defaultTypifierOptions,
  escalation: { classifierThreshold: 0.97, svm: defaultSvmOptions },
};

export interface ConversationAnalysis {
  vector: SparseVector;
  /** P(leaf) for each leaf in `taxonomy.leaves()` order. */
  leafProbabilities: Float64Array;
  /** The most probable complete path, P(path) and each level's P(choice | levels above). */
  path: TaxonomyPath;
  confidence: number;
  levelConfidences: DecodedPath['levelConfidences'];
  escalation: EscalationVerdict;
  /** False for greetings and content-free turns (abstain.ts): no leaf can be right yet. */
  hasTopic: boolean;
}

const cacheSize = 256;

export class EmbeddedClassifiers {
  readonly #recent = new Map<string, ConversationAnalysis>();
  readonly #stack: StackedSvms;
  /** Leaf (submotive) ids in `taxonomy.leaves()` order. */
  readonly #leafIds: readonly string[];

  constructor(
    readonly typifier: Typifier,
    readonly escalation: EscalationAnalyzer,
    /** Content hashes of the labeled conversations it was trained on (see content-hash.ts). */
    readonly trainingHashes: ReadonlySet<string> = new Set(),
  ) {
    this.#stack = new StackedSvms([...typifier.classifiers, ...escalation.classifiers]);
    this.#leafIds = typifier.taxonomy.leaves().map((leaf) => leaf[3] as string);
  }

  get taxonomy(): Taxonomy {
    return this.typifier.taxonomy;
  }

  static train(
    taxonomy: Taxonomy,
    conversations: readonly LabeledConversation[],
    options: EmbeddedTrainingOptions = defaultEmbeddedTrainingOptions,
  ): EmbeddedClassifiers {
    const typifier = Typifier.train(
      taxonomy,
      conversations.map((c) => ({
        messages: c.messages,
        path: [c.label.businessUnit, c.label.product, c.label.motive, c.label.submotive],
      })),
      options.typifier,
    );
    const escalation = EscalationAnalyzer.train(
      conversations.map((c) => ({
        vector: typifier.vectorize(c.messages),
        shouldEscalate: c.escalation.shouldEscalate,
        reason: c.escalation.reason,
        emotion: c.escalation.emotion,
      })),
      typifier.featurizer.dimension,
      options.escalation,
    );
    return new EmbeddedClassifiers(typifier, escalation, new Set(conversations.map((c) => conversationHash(c.messages))));
  }

  /** Everything the model can say about a conversation (cached for the last few conversations). */
  analyze(messages: readonly ConversationMessage[]): ConversationAnalysis {
    const key = messages.map((m) => `${m.role}\u0000${m.text}`).join('\u0001');
    const cached = this.#recent.get(key);
    if (cached) return cached;
    const vector = this.typifier.vectorize(messages);
    const decisionValues = this.#stack.decisionValuesAll(vector);
    const typifierModels = this.typifier.classifiers.length;
    const scored = this.typifier.distribution.probabilities(decisionValues.slice(0, typifierModels));
    // "chegou meu cartão": a stated arrival is never a delivery that did not happen (arrival.ts).
    const leafProbabilities = customerStatesArrival(messages) ? withoutNonArrival(scored, this.#leafIds) : scored;
    const decoded = this.typifier.decode(leafProbabilities);
    const escalationModels = this.escalation.classifiers;
    const escalationProbabilities = decisionValues.slice(typifierModels).map((values, i) => (escalationModels[i] as LinearSvm).probabilities(values));
    const escalation = this.escalation.analyzeScored(messages, escalationProbabilities);
    const analysis: ConversationAnalysis = { vector, leafProbabilities, ...decoded, escalation, hasTopic: hasTopic(messages) };
    if (this.#recent.size >= cacheSize) this.#recent.delete(this.#recent.keys().next().value as string);
    this.#recent.set(key, analysis);
    return analysis;
  }
}
