/**
 * One probability distribution over the taxonomy's complete paths (its leaves), and the questions the
 * workflow asks about it. Every level's answer comes from this one distribution, so the levels always agree:
 *   - P(leaf) = softmax over the leaves of Σ weight × decision value, where the terms are the leaf SVM's
 *     value for the leaf and each upper-level SVM's value for the leaf's ancestor at that level (a
 *     log-linear "product of experts"). The weights are inverse temperatures fitted by maximum likelihood on
 *     cross-validated scores (`npm run eval:cv -- --fit-calibration`), so P(leaf) is a calibrated probability.
 *   - The answer for a level is the child, under the path chosen so far, that lies on the most probable leaf
 *     (exact search: the tree has tens of leaves, so every path is scored — no greedy level-by-level choice
 *     that a weak business-unit score could lead astray).
 *   - Its confidence is P(child | parent) = mass of the leaves under the child / mass under the parent, so the
 *     product of the four confidences is P(leaf): the probability that the whole path is right.
 */
import type { Taxonomy, TaxonomyPath } from '../../taxonomy/index.js';

/** Inverse temperatures of the decision values combined into a leaf's score. */
export interface ScoreWeights {
  leaf: number;
  businessUnit: number;
  product: number;
  motive: number;
  /**
   * Scale of each sibling classifier's decision values (children at depth 1, 2, 3) inside its
   * log-softmax; 0 or absent leaves that depth's sibling classifiers out.
   */
  siblings?: readonly [number, number, number];
  /**
   * Divides every leaf's score before the softmax (absent: 1). It never changes which path wins, only how
   * sure the distribution is: the sibling classifiers sharpen it, and without it conversations scored
   * 0.80–0.90 were right only ~70 % of the time.
   */
  temperature?: number;
}

/** A classifier among the children of one node: it only ever saw conversations under that node. */
export interface SiblingGroup {
  /** Depth of the children (1 = products under a business unit … 3 = leaves under a motive). */
  depth: 1 | 2 | 3;
  parentId: string;
  childIds: readonly string[];
}

export interface DecodedPath {
  path: TaxonomyPath;
  /** P(level's choice | levels above), per level; their product is `confidence`. */
  levelConfidences: [number, number, number, number];
  /** P(path) under the distribution. */
  confidence: number;
}

export class PathDistribution {
  readonly leaves: readonly TaxonomyPath[];
  /** Per upper level, the index (in `taxonomy.idsAt(level)`) of each leaf's ancestor at that level. */
  readonly #ancestorIndex: Int32Array[];

  /** Per sibling group, the index of each leaf's ancestor among the group's children, or -1. */
  readonly #siblingIndex: Int32Array[];

  constructor(
    readonly taxonomy: Taxonomy,
    readonly weights: ScoreWeights,
    readonly siblingGroups: readonly SiblingGroup[] = [],
  ) {
    this.leaves = taxonomy.leaves();
    this.#siblingIndex = siblingGroups.map((group) =>
      Int32Array.from(this.leaves, (leaf) => (leaf[group.depth - 1] === group.parentId ? group.childIds.indexOf(leaf[group.depth] as string) : -1)),
    );
    this.#ancestorIndex = taxonomy.levels.slice(0, 3).map((level, depth) => {
      const index = new Map(taxonomy.idsAt(level).map((id, i) => [id, i]));
      return Int32Array.from(this.leaves, (leaf) => index.get(leaf[depth] as string) as number);
    });
  }

  /** Combined score of each leaf (the softmax's input): one decision-value array per model, leaf SVM first. */
  scores(decisionValues: readonly Float64Array[]): Float64Array {
    const [leafValues, ...levelValues] = decisionValues;
    const w = this.weights;
    const levelWeights = [w.businessUnit, w.product, w.motive];
    const out = new Float64Array(this.leaves.length);
    for (let j = 0; j < out.length; j++) {
      let score = w.leaf * ((leafValues?.[j] as number | undefined) ?? 0);
      for (let depth = 0; depth < 3; depth++) {
        const values = levelValues[depth];
        if (values) score += (levelWeights[depth] as number) * (values[(this.#ancestorIndex[depth] as Int32Array)[j] as number] as number);
      }
      out[j] = score;
    }
    const siblingTerms = this.siblingTerms(decisionValues);
    if (siblingTerms) for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + (siblingTerms[j] as number);
    return out;
  }

  /**
   * Per leaf, the sum over the sibling classifiers of log P(the leaf's ancestor | its parent), each a softmax
   * of that classifier's scaled decision values; undefined without sibling classifiers. A node with one
   * child has no classifier: log 1 = 0, so every leaf is scored on the same footing.
   */
  siblingTerms(decisionValues: readonly Float64Array[]): Float64Array | undefined {
    const scales = this.weights.siblings;
    if (!scales || this.siblingGroups.length === 0) return undefined;
    const out = new Float64Array(this.leaves.length);
    this.siblingGroups.forEach((group, g) => {
      const scale = scales[group.depth - 1] as number;
      const values = decisionValues[4 + g];
      if (scale === 0 || !values) return;
      const logProbabilities = logSoftmax(values, scale);
      const index = this.#siblingIndex[g] as Int32Array;
      for (let j = 0; j < out.length; j++) {
        const child = index[j] as number;
        if (child >= 0) out[j] = (out[j] as number) + (logProbabilities[child] as number);
      }
    });
    return out;
  }

  /** P(leaf) for each leaf in `taxonomy.leaves()` order. */
  probabilities(decisionValues: readonly Float64Array[]): Float64Array {
    const scores = this.scores(decisionValues);
    const temperature = this.weights.temperature ?? 1;
    let max = -Infinity;
    for (const s of scores) if (s > max) max = s;
    let sum = 0;
    for (let j = 0; j < scores.length; j++) {
      const e = Math.exp(((scores[j] as number) - max) / temperature);
      scores[j] = e;
      sum += e;
    }
    for (let j = 0; j < scores.length; j++) scores[j] = (scores[j] as number) / sum;
    return scores;
  }

  /** Each row's feature values for the leaf scores: [leaf, business unit, product, motive] decision values. */
  leafFeatures(decisionValues: readonly Float64Array[], leaf: number): [number, number, number, number] {
    const [leafValues, ...levelValues] = decisionValues;
    const at = (depth: number): number => (levelValues[depth]?.[(this.#ancestorIndex[depth] as Int32Array)[leaf] as number] as number | undefined) ?? 0;
    return [(leafValues?.[leaf] as number | undefined) ?? 0, at(0), at(1), at(2)];
  }

  /**
   * The answer for the level below `parentPath`, among `candidateIds` only: the candidate on the most
   * probable leaf under `parentPath`, with P(candidate | parentPath, one of the candidates). Undefined when no
   * leaf under `parentPath` goes through a candidate (the caller offered ids that are not children).
   */
  choose(probabilities: Float64Array, parentPath: readonly string[], candidateIds: readonly string[]): { id: string; probability: number } | undefined {
    const depth = parentPath.length;
    const mass = new Map<string, number>(candidateIds.map((id) => [id, 0]));
    let total = 0;
    let best = -1;
    this.leaves.forEach((leaf, j) => {
      for (let d = 0; d < depth; d++) if (leaf[d] !== parentPath[d]) return;
      const id = leaf[depth] as string;
      const current = mass.get(id);
      if (current === undefined) return;
      const p = probabilities[j] as number;
      mass.set(id, current + p);
      total += p;
      if (best < 0 || p > (probabilities[best] as number)) best = j;
    });
    if (best < 0) return undefined;
    const id = (this.leaves[best] as TaxonomyPath)[depth] as string;
    return { id, probability: total > 0 ? (mass.get(id) as number) / total : 1 / candidateIds.length };
  }

  /** The most probable complete path and its per-level conditional probabilities. */
  decode(probabilities: Float64Array): DecodedPath {
    let best = 0;
    for (let j = 1; j < probabilities.length; j++) if ((probabilities[j] as number) > (probabilities[best] as number)) best = j;
    const path = this.leaves[best] as TaxonomyPath;
    // Mass of the leaves that share the first `depth` levels with the best path (depth 0: all of them).
    const prefixMass = [0, 0, 0, 0, 0];
    this.leaves.forEach((leaf, j) => {
      const p = probabilities[j] as number;
      prefixMass[0] = (prefixMass[0] as number) + p;
      for (let d = 0; d < 4 && leaf[d] === path[d]; d++) prefixMass[d + 1] = (prefixMass[d + 1] as number) + p;
    });
    const level = (d: number): number => ((prefixMass[d] as number) > 0 ? (prefixMass[d + 1] as number) / (prefixMass[d] as number) : 0);
    const levelConfidences: DecodedPath['levelConfidences'] = [level(0), level(1), level(2), level(3)];
    return { path, levelConfidences, confidence: levelConfidences.reduce((a, b) => a * b, 1) };
  }
}

function logSoftmax(values: Float64Array, scale: number): Float64Array {
  let max = -Infinity;
  for (const v of values) if (scale * v > max) max = scale * v;
  let sum = 0;
  for (const v of values) sum += Math.exp(scale * v - max);
  const log = max + Math.log(sum);
  return values.map((v) => scale * v - log);
}
