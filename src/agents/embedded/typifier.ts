/**
 * The typification classifier: one softmax over the taxonomy's leaves (a leaf names its whole path), whose
 * probabilities are summed up the tree. Asking "which product?" under a chosen business unit is then
 * P(product | business unit) = Σ leaves under the product / Σ leaves under the business unit, so every
 * level is constrained to the children of the level above and all levels agree with one model.
 *
 * Training text: the labeled conversations, rough-style copies of them (augmentation), and one synthetic
 * document per leaf made of the taxonomy's own labels and descriptions along its path.
 */
import type { Taxonomy, TaxonomyPath } from '../../taxonomy/index.js';
import type { ConversationMessage } from '../model.js';
import { defaultFeatureOptions, Featurizer, type FeatureOptions, type SparseVector } from './features.js';
import { leafPhrases } from './leaf-phrases.js';
import { roughenConversation } from './rough.js';
import { defaultSvmOptions, LinearSvm, type SvmOptions } from './svm.js';

export interface TypificationExample {
  messages: readonly ConversationMessage[];
  path: readonly string[];
}

export interface TypifierOptions {
  features: FeatureOptions;
  svm: SvmOptions;
  /** Rough-style copies per labeled conversation (measured: no gain once text is normalised). @default 0 */
  roughCopies: number;
  /** Weight of the taxonomy label/description document of each leaf. @default 3 */
  taxonomyTextWeight: number;
  /** Weight of each hand-written phrase of `leafPhrases` (0 leaves them out). @default 3 */
  leafPhraseWeight: number;
  /**
   * Weight of the per-level models (a softmax over all ids of that level) mixed with the leaf sums.
   * Upper levels have many more examples per class than leaves, so their own model is sharper. @default 0.5
   */
  levelModelWeight: number;
  /** Weight of a customer-turns-only copy of each labeled conversation that has bot turns (0: none). @default 0 */
  customerOnlyCopyWeight: number;
  /** Weight of a copy made of the first customer message alone (0: none). @default 0 */
  firstMessageCopyWeight: number;
}

export const defaultTypifierOptions: TypifierOptions = {
  features: defaultFeatureOptions,
  svm: defaultSvmOptions,
  roughCopies: 0,
  taxonomyTextWeight: 3,
  leafPhraseWeight: 3,
  levelModelWeight: 0.5,
  customerOnlyCopyWeight: 0,
  firstMessageCopyWeight: 0,
};

/** One synthetic customer message per leaf from the labels and descriptions on its path. */
export function taxonomyDocument(taxonomy: Taxonomy, path: TaxonomyPath): ConversationMessage[] {
  return path.map((id) => ({ role: 'customer' as const, text: `${taxonomy.label(id)}. ${taxonomy.description(id)}` }));
}

export interface TypifierScores {
  leaves: Float64Array;
  /** Per upper level, probabilities over `taxonomy.idsAt(level)`. */
  levels: Float64Array[];
}

export class Typifier {
  readonly #leafIndex = new Map<string, number>();

  readonly #levelIndex: Map<string, number>[] = [];

  constructor(
    readonly taxonomy: Taxonomy,
    readonly featurizer: Featurizer,
    readonly classifier: LinearSvm,
    /** One softmax per upper level (business unit, product, motive), over `taxonomy.idsAt(level)`. */
    readonly levelClassifiers: readonly LinearSvm[],
    readonly levelModelWeight: number,
  ) {
    taxonomy.leaves().forEach((leaf, index) => this.#leafIndex.set(leaf[3], index));
    for (const level of taxonomy.levels.slice(0, 3)) {
      this.#levelIndex.push(new Map(taxonomy.idsAt(level).map((id, index) => [id, index])));
    }
  }

  static train(taxonomy: Taxonomy, examples: readonly TypificationExample[], options: TypifierOptions = defaultTypifierOptions): Typifier {
    const leaves = taxonomy.leaves();
    const leafIndex = new Map(leaves.map((leaf, index) => [leaf[3], index]));
    const documents: ConversationMessage[][] = [];
    const labels: number[] = [];
    const weights: number[] = [];
    const add = (messages: ConversationMessage[], label: number, weight: number): void => {
      documents.push(messages);
      labels.push(label);
      weights.push(weight);
    };
    examples.forEach((example, exampleIndex) => {
      taxonomy.assertValidPath(example.path);
      const label = leafIndex.get(example.path[3]) as number;
      add([...example.messages], label, 1);
      const customerTurns = example.messages.filter((m) => m.role === 'customer');
      if (options.customerOnlyCopyWeight > 0 && customerTurns.length < example.messages.length && customerTurns.length > 0) {
        add(customerTurns, label, options.customerOnlyCopyWeight);
      }
      if (options.firstMessageCopyWeight > 0 && customerTurns.length > 1) {
        add([customerTurns[0] as ConversationMessage], label, options.firstMessageCopyWeight);
      }
      for (let copy = 0; copy < options.roughCopies; copy++) {
        add(roughenConversation(example.messages, 1000 * (copy + 1) + exampleIndex), label, 1);
      }
    });
    if (options.taxonomyTextWeight > 0) {
      leaves.forEach((leaf, index) => add(taxonomyDocument(taxonomy, leaf), index, options.taxonomyTextWeight));
    }
    if (options.leafPhraseWeight > 0) {
      leaves.forEach((leaf, index) => {
        for (const text of leafPhrases[leaf[3]] ?? []) add([{ role: 'customer', text }], index, options.leafPhraseWeight);
      });
    }
    const featurizer = Featurizer.fit(documents, options.features);
    const vectors = documents.map((d) => featurizer.transform(d));
    const learn = (classLabels: number[], classCount: number): LinearSvm =>
      LinearSvm.train(vectors, classLabels, classCount, featurizer.dimension, options.svm, weights);
    const classifier = learn(labels, leaves.length);
    const levelClassifiers: LinearSvm[] = [];
    if (options.levelModelWeight > 0) {
      for (const [depth, level] of taxonomy.levels.slice(0, 3).entries()) {
        const ids = new Map(taxonomy.idsAt(level).map((id, index) => [id, index]));
        const levelLabels = labels.map((leaf) => ids.get((leaves[leaf] as TaxonomyPath)[depth] as string) as number);
        levelClassifiers.push(learn(levelLabels, ids.size));
      }
    }
    return new Typifier(taxonomy, featurizer, classifier, levelClassifiers, options.levelModelWeight);
  }

  vectorize(messages: readonly ConversationMessage[]): SparseVector {
    return this.featurizer.transform(messages);
  }

  /** Probability of each leaf, in `taxonomy.leaves()` order, then of each id per upper level. */
  predict(vector: SparseVector): TypifierScores {
    return { leaves: this.classifier.predict(vector), levels: this.levelClassifiers.map((c) => c.predict(vector)) };
  }

  /**
   * P(candidate | parentPath) for each candidate id at depth `parentPath.length`, from leaf probabilities.
   * Candidates that are not children of `parentPath` get 0 (the caller offered them; the taxonomy refuses).
   */
  candidateProbabilities(scores: TypifierScores, parentPath: readonly string[], candidateIds: readonly string[]): number[] {
    const fromLeaves = this.#leafSums(scores.leaves, parentPath, candidateIds);
    const depth = parentPath.length;
    const levelScores = scores.levels[depth];
    if (!levelScores || this.levelModelWeight <= 0) return fromLeaves;
    const index = this.#levelIndex[depth] as Map<string, number>;
    const own = candidateIds.map((id) => {
      const at = index.get(id);
      return at === undefined ? 0 : (levelScores[at] as number);
    });
    const total = own.reduce((a, b) => a + b, 0);
    const w = this.levelModelWeight;
    return fromLeaves.map((p, i) => (1 - w) * p + w * (total > 0 ? (own[i] as number) / total : 0));
  }

  #leafSums(leafProbabilities: Float64Array, parentPath: readonly string[], candidateIds: readonly string[]): number[] {
    const depth = parentPath.length;
    const mass = new Map<string, number>(candidateIds.map((id) => [id, 0]));
    let parentMass = 0;
    this.taxonomy.leaves().forEach((leaf, index) => {
      for (let d = 0; d < depth; d++) if (leaf[d] !== parentPath[d]) return;
      const p = leafProbabilities[index] as number;
      parentMass += p;
      const id = leaf[depth] as string;
      const current = mass.get(id);
      if (current !== undefined) mass.set(id, current + p);
    });
    return candidateIds.map((id) => (parentMass > 0 ? (mass.get(id) as number) / parentMass : 1 / candidateIds.length));
  }

  /** The most likely complete path, decoded greedily level by level (each level among the children). */
  decode(scores: TypifierScores): { path: TaxonomyPath; confidence: number } {
    const path: string[] = [];
    let confidence = 1;
    for (let depth = 0; depth < 4; depth++) {
      const ids = this.taxonomy.children(path).map((n) => n.id);
      const probabilities = this.candidateProbabilities(scores, path, ids);
      let best = 0;
      for (let i = 1; i < ids.length; i++) if ((probabilities[i] as number) > (probabilities[best] as number)) best = i;
      path.push(ids[best] as string);
      confidence *= probabilities[best] as number;
    }
    return { path: path as unknown as TaxonomyPath, confidence };
  }
}
