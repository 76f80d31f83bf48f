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
import { defaultSvmOptions, StackedSvms } from './svm.js';
import { defaultTypifierOptions, Typifier, type TypifierOptions, type TypifierScores } from './typifier.js';

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
  scores: TypifierScores;
  /** Best complete path, decoded level by level, and the product of the chosen levels' probabilities. */
  path: TaxonomyPath;
  confidence: number;
  escalation: EscalationVerdict;
}

const cacheSize = 256;

export class EmbeddedClassifiers {
  readonly #recent = new Map<string, ConversationAnalysis>();
  readonly #stack: StackedSvms;

  constructor(
    readonly typifier: Typifier,
    readonly escalation: EscalationAnalyzer,
  ) {
    this.#stack = new StackedSvms([typifier.classifier, ...typifier.levelClassifiers, ...escalation.classifiers]);
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
    return new EmbeddedClassifiers(typifier, escalation);
  }

  /** Everything the model can say about a conversation (cached for the last few conversations). */
  analyze(messages: readonly ConversationMessage[]): ConversationAnalysis {
    const key = messages.map((m) => `${m.role}\u0000${m.text}`).join('\u0001');
    const cached = this.#recent.get(key);
    if (cached) return cached;
    const vector = this.typifier.vectorize(messages);
    const probabilities = this.#stack.predictAll(vector);
    const levelCount = this.typifier.levelClassifiers.length;
    const scores = { leaves: probabilities[0] as Float64Array, levels: probabilities.slice(1, 1 + levelCount) };
    const { path, confidence } = this.typifier.decode(scores);
    const escalation = this.escalation.analyzeScored(messages, probabilities.slice(1 + levelCount));
    const analysis = { vector, scores, path, confidence, escalation };
    if (this.#recent.size >= cacheSize) this.#recent.delete(this.#recent.keys().next().value as string);
    this.#recent.set(key, analysis);
    return analysis;
  }
}
