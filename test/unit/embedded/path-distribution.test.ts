/**
 * The distribution over complete paths: levels that always agree, confidences whose product is the path's
 * probability, a strong leaf that outvotes a weak business-unit score, and the Newton fit of its weights.
 */
import { describe, expect, it } from 'vitest';
import { confidenceBuckets, fitScoreWeights, routerShares, type CalibrationSample } from '../../../src/agents/embedded/calibration.js';
import { PathDistribution, type ScoreWeights } from '../../../src/agents/embedded/path-distribution.js';
import { seededRandom } from '../../../src/agents/embedded/random.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const taxonomy = defaultTaxonomy();
const leaves = taxonomy.leaves();
const levelIds = taxonomy.levels.slice(0, 3).map((level) => taxonomy.idsAt(level));
const weights: ScoreWeights = { leaf: 4, businessUnit: 2, product: 1, motive: 1 };

/** Decision values: one favoured leaf (and optionally a favoured business unit), everything else at -1. */
function values(favouredLeaf: string, leafMargin: number, favouredUnit?: string, unitMargin = 0): Float64Array[] {
  const leaf = Float64Array.from(leaves, (l) => (l[3] === favouredLeaf ? -1 + leafMargin : -1));
  const [units = [], products = [], motives = []] = levelIds;
  return [
    leaf,
    Float64Array.from(units, (id) => (id === favouredUnit ? -1 + unitMargin : -1)),
    new Float64Array(products.length).fill(-1),
    new Float64Array(motives.length).fill(-1),
  ];
}

describe('PathDistribution', () => {
  const distribution = new PathDistribution(taxonomy, weights);

  it('gives a probability per leaf that sums to 1', () => {
    const p = distribution.probabilities(values('pix_scam_report', 1.5));
    expect(p).toHaveLength(leaves.length);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
  });

  it('decodes the most probable path, with level confidences whose product is its probability', () => {
    const p = distribution.probabilities(values('pix_scam_report', 1.5));
    const decoded = distribution.decode(p);
    expect(decoded.path).toEqual(taxonomy.pathOfLeaf('pix_scam_report'));
    const leafIndex = leaves.findIndex((l) => l[3] === 'pix_scam_report');
    expect(decoded.confidence).toBeCloseTo(p[leafIndex] as number, 10);
    expect(decoded.levelConfidences.reduce((a, b) => a * b, 1)).toBeCloseTo(decoded.confidence, 12);
    for (const c of decoded.levelConfidences) expect(c).toBeGreaterThan(0);
  });

  it('answers each level on the way to the best path, so level-by-level questions agree with decode', () => {
    const p = distribution.probabilities(values('machine_card_read_error', 1));
    const { path, levelConfidences } = distribution.decode(p);
    for (let depth = 0; depth < 4; depth++) {
      const parent = path.slice(0, depth);
      const choice = distribution.choose(p, parent, taxonomy.children(parent).map((n) => n.id));
      expect(choice?.id).toBe(path[depth]);
      expect(choice?.probability).toBeCloseTo(levelConfidences[depth] as number, 12);
    }
  });

  it('lets strong leaf evidence outvote a weakly preferred business unit (no greedy top-down choice)', () => {
    // The unit model leans slightly to "cards"; the leaf model is sure about a Pix scam (digital_account).
    const p = distribution.probabilities(values('pix_scam_report', 3, 'cards', 0.5));
    expect(distribution.decode(p).path[0]).toBe('digital_account');
  });

  it('chooses only among the offered candidates, and says when none is a child of the parent', () => {
    const p = distribution.probabilities(values('credit_limit_increase', 2));
    const offered = taxonomy.children(['cards']).map((n) => n.id).filter((id) => id !== 'credit_card');
    const choice = distribution.choose(p, ['cards'], offered);
    expect(offered).toContain(choice?.id);
    expect(distribution.choose(p, ['cards'], ['pix'])).toBeUndefined();
  });

  it('lets a sibling classifier decide between two leaves of one motive, and leaves other leaves untouched', () => {
    // The leaf model cannot tell "create a link" from "the customer cannot pay by the link"; the classifier
    // trained on payment-link conversations only leans to the customer's error.
    const group = { depth: 3 as const, parentId: 'payment_link', childIds: ['payment_link_create', 'payment_link_customer_error'] };
    const withSiblings = new PathDistribution(taxonomy, { ...weights, siblings: [0, 0, 8] }, [group]);
    const tie = values('payment_link_create', 2);
    const customerError = leaves.findIndex((l) => l[3] === 'payment_link_customer_error');
    (tie[0] as Float64Array)[customerError] = 1;
    const decisionValues = [...tie, Float64Array.from([-0.3, 0.3])];
    expect(distribution.decode(distribution.probabilities(tie)).path[3]).toBe('payment_link_create');
    expect(withSiblings.decode(withSiblings.probabilities(decisionValues)).path[3]).toBe('payment_link_customer_error');
    const terms = withSiblings.siblingTerms(decisionValues) as Float64Array;
    const elsewhere = leaves.findIndex((l) => l[3] === 'pix_scam_report');
    expect(terms[elsewhere]).toBe(0);
    expect(Math.exp(terms[customerError] as number)).toBeCloseTo(1 / (1 + Math.exp(-8 * 0.6)), 10);
  });

  it('with a temperature above 1 answers the same path, less sure of it', () => {
    const cooler = new PathDistribution(taxonomy, { ...weights, temperature: 1.2 });
    const decisionValues = values('machine_card_read_error', 0.6, 'merchant_acquiring', 0.3);
    const sure = distribution.decode(distribution.probabilities(decisionValues));
    const lessSure = cooler.decode(cooler.probabilities(decisionValues));
    expect(lessSure.path).toEqual(sure.path);
    expect(lessSure.confidence).toBeLessThan(sure.confidence);
    expect(lessSure.confidence).toBeGreaterThan(0.5 * sure.confidence);
  });
});

describe('fitScoreWeights', () => {
  it('recovers the weights that generated the labels', () => {
    const truth: ScoreWeights = { leaf: 3, businessUnit: 1.5, product: 0.5, motive: 1 };
    const generator = new PathDistribution(taxonomy, truth);
    const random = seededRandom(7);
    const samples: CalibrationSample[] = [];
    for (let s = 0; s < 1500; s++) {
      const decisionValues = [leaves.length, ...levelIds.map((ids) => ids.length)].map((n) => Float64Array.from({ length: n }, () => 2 * random() - 1));
      const p = generator.probabilities(decisionValues);
      let u = random();
      let leafIndex = 0;
      while (leafIndex < p.length - 1 && (u -= p[leafIndex] as number) > 0) leafIndex++;
      samples.push({ decisionValues, leafIndex });
    }
    const start: ScoreWeights = { leaf: 1, businessUnit: 1, product: 1, motive: 1 };
    const fit = fitScoreWeights(generator, samples, start);
    expect(fit.weights.leaf).toBeCloseTo(truth.leaf, 0);
    expect(fit.weights.businessUnit).toBeCloseTo(truth.businessUnit, 0);
    expect(fit.weights.motive).toBeCloseTo(truth.motive, 0);
    expect(fit.meanLogLoss).toBeLessThan(fitScoreWeights(generator, samples, start, 0).meanLogLoss);
  });
});

describe('confidence buckets and router shares', () => {
  const points = [
    { confidence: 0.99, correct: true },
    { confidence: 0.97, correct: true },
    { confidence: 0.85, correct: false },
    { confidence: 0.6, correct: true },
    { confidence: 0.3, correct: false },
    { confidence: 1, correct: true },
  ];

  it('counts every conversation in exactly one bucket, the top edge included', () => {
    const buckets = confidenceBuckets(points);
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(points.length);
    const top = buckets.at(-1);
    expect(top).toMatchObject({ from: 0.95, to: 1, count: 3, accuracy: 1 });
  });

  it('splits conversations the way the confidence Router would', () => {
    const shares = routerShares(points, { high: 0.8, medium: 0.5 });
    expect(shares.high).toMatchObject({ count: 4, accuracy: 0.75 });
    expect(shares.medium).toMatchObject({ count: 1, accuracy: 1 });
    expect(shares.low).toMatchObject({ count: 1, accuracy: 0 });
  });
});
