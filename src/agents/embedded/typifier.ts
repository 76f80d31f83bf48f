/**
 * The typification classifier: a linear SVM over the taxonomy's leaves (a leaf names its whole path), one
 * per upper level (business unit, product, motive) and, per motive with several leaves, one trained only on
 * that motive's conversations (a "sibling" classifier: it learns what tells the leaves of one motive apart,
 * e.g. creating a payment link vs a customer who cannot pay by it, which the leaf SVM trained against all 64
 * other leaves spends little of its margin on). Their decision values are combined into one
 * calibrated distribution over complete paths (path-distribution.ts). Every level is answered from that
 * distribution, so a level is always among the children of the level above and all levels agree.
 *
 * Training text: the labeled conversations (optionally rough-style copies of them), one synthetic document per leaf made of the taxonomy's own labels and descriptions
 * along its path, and a few hand-written customer phrasings per leaf.
 */
import type { Taxonomy, TaxonomyPath } from '../../taxonomy/index.js';
import type { ConversationMessage } from '../model.js';
import { defaultFeatureOptions, Featurizer, type FeatureOptions, type SparseVector } from './features.js';
import { leafPhrases } from './leaf-phrases.js';
import { roughenConversation } from './rough.js';
import { PathDistribution, type DecodedPath, type ScoreWeights, type SiblingGroup } from './path-distribution.js';
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
   * Inverse temperatures of the leaf and level SVMs' decision values in a path's score. Fitted by maximum
   * likelihood on 5-fold cross-validated scores of the dev set, as written and in rough style
   * (`npm run eval:cv -- --fit-calibration` prints the fit); the upper levels weigh less than the leaves
   * because the leaf model already separates them, but they recover a path whose leaf evidence is split.
   * `siblings: [0, 0, 8]`: sibling classifiers among a motive's leaves only, their values ×8 in a log-softmax
   * (repeated CV: 6–25 all gain about one point of path; upper-level siblings lost business unit). The
   * maximum-likelihood refit with them (leaf 3.95, motive 4.79) lowers the log-loss but costs 0.7 points of
   * path, so the leaf weight stays as fitted before. `temperature: 1.2` recalibrates the path confidence
   * without changing any answer: maximum likelihood on held-out scores (seeds 42 and 1, as written and
   * customer-only rough) is at 1.1 (mean log-loss 0.484 vs 0.489 at 1); 1.2 (0.487) matches the ≥ 0.8
   * buckets the confidence Router reads best (0.80–0.90: 79 % right at 85 % mean confidence, 66 % at 86 % with 1).
   */
  scoreWeights: ScoreWeights;
  /** SVM options of the sibling classifiers (`svm` when absent). */
  siblingSvm?: SvmOptions;
}

export const defaultTypifierOptions: TypifierOptions = {
  features: defaultFeatureOptions,
  svm: defaultSvmOptions,
  roughCopies: 0,
  taxonomyTextWeight: 3,
  leafPhraseWeight: 3,
  scoreWeights: { leaf: 7.5, businessUnit: 1.82, product: 1.18, motive: 2.26, siblings: [0, 0, 8], temperature: 1.2 },
};

/** One synthetic customer message per leaf from the labels and descriptions on its path. */
export function taxonomyDocument(taxonomy: Taxonomy, path: TaxonomyPath): ConversationMessage[] {
  return path.map((id) => ({ role: 'customer' as const, text: `${taxonomy.label(id)}. ${taxonomy.description(id)}` }));
}

export class Typifier {
  readonly distribution: PathDistribution;

  constructor(
    readonly taxonomy: Taxonomy,
    readonly featurizer: Featurizer,
    readonly classifier: LinearSvm,
    /** One SVM per upper level (business unit, product, motive), over `taxonomy.idsAt(level)`. */
    readonly levelClassifiers: readonly LinearSvm[],
    readonly scoreWeights: ScoreWeights,
    /** One SVM per node with several children, trained only on the conversations under that node. */
    readonly siblingClassifiers: readonly { group: SiblingGroup; svm: LinearSvm }[] = [],
  ) {
    this.distribution = new PathDistribution(taxonomy, scoreWeights, siblingClassifiers.map((s) => s.group));
  }

  /** The leaf SVM, the level SVMs, then the sibling SVMs, in the order `distribution` expects their decision values. */
  get classifiers(): readonly LinearSvm[] {
    return [this.classifier, ...this.levelClassifiers, ...this.siblingClassifiers.map((s) => s.svm)];
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
    // Topic columns only: tone words ("atendente", "absurdo") say how the customer talks, not about what.
    const vectors = documents.map((d) => topicPart(featurizer.transform(d), featurizer.topicDimension));
    const learn = (classLabels: number[], classCount: number): LinearSvm =>
      LinearSvm.train(vectors, classLabels, classCount, featurizer.dimension, options.svm, weights);
    const classifier = learn(labels, leaves.length);
    const levelClassifiers = taxonomy.levels.slice(0, 3).map((level, depth) => {
      const ids = new Map(taxonomy.idsAt(level).map((id, index) => [id, index]));
      return learn(labels.map((leaf) => ids.get((leaves[leaf] as TaxonomyPath)[depth] as string) as number), ids.size);
    });
    const siblingClassifiers: { group: SiblingGroup; svm: LinearSvm }[] = [];
    const scales = options.scoreWeights.siblings;
    for (const depth of [1, 2, 3] as const) {
      if (!scales || scales[depth - 1] === 0) continue;
      const parents = [...new Set(leaves.map((leaf) => leaf[depth - 1] as string))];
      for (const parentId of parents) {
        const childIds = [...new Set(leaves.filter((leaf) => leaf[depth - 1] === parentId).map((leaf) => leaf[depth] as string))];
        if (childIds.length < 2) continue;
        const members = labels.flatMap((leaf, i) => ((leaves[leaf] as TaxonomyPath)[depth - 1] === parentId ? [i] : []));
        const svm = LinearSvm.train(
          members.map((i) => vectors[i] as SparseVector),
          members.map((i) => childIds.indexOf((leaves[labels[i] as number] as TaxonomyPath)[depth] as string)),
          childIds.length,
          featurizer.dimension,
          options.siblingSvm ?? options.svm,
          members.map((i) => weights[i] as number),
        );
        siblingClassifiers.push({ group: { depth, parentId, childIds }, svm });
      }
    }
    return new Typifier(taxonomy, featurizer, classifier, levelClassifiers, options.scoreWeights, siblingClassifiers);
  }

  vectorize(messages: readonly ConversationMessage[]): SparseVector {
    return this.featurizer.transform(messages);
  }

  /** Raw decision values of the leaf SVM and the level SVMs for one conversation. */
  decisionValues(vector: SparseVector): Float64Array[] {
    return this.classifiers.map((c) => c.decisionValues(vector));
  }

  /** P(leaf) for each leaf in `taxonomy.leaves()` order. */
  predict(vector: SparseVector): Float64Array {
    return this.distribution.probabilities(this.decisionValues(vector));
  }

  /** The most probable complete path with its per-level conditional probabilities. */
  decode(leafProbabilities: Float64Array): DecodedPath {
    return this.distribution.decode(leafProbabilities);
  }
}

function topicPart(vector: SparseVector, topicDimension: number): SparseVector {
  let end = 0;
  while (end < vector.indices.length && (vector.indices[end] as number) < topicDimension) end++;
  return { indices: vector.indices.subarray(0, end), values: vector.values.subarray(0, end) };
}
