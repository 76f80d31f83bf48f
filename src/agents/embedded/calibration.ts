/**
 * Calibration of the path confidence: fitting the score weights of `PathDistribution` on held-out scores,
 * and measuring how well a confidence predicts that the whole path is right (buckets, router shares).
 *
 * The fit is a conditional-logit model: P(leaf) ∝ exp(Σ_k a_k · f_k(leaf)), with f = the leaf SVM's and the
 * ancestors' level SVMs' decision values. Its negative log-likelihood is convex in a, so Newton's method
 * from any start reaches the one optimum in a few steps; no tuning of a learning rate.
 */
import type { PathDistribution, ScoreWeights } from './path-distribution.js';

/** Held-out decision values of one conversation (leaf SVM first, then the level SVMs) and its true leaf. */
export interface CalibrationSample {
  decisionValues: readonly Float64Array[];
  leafIndex: number;
}

const keys = ['leaf', 'businessUnit', 'product', 'motive'] as const;

/**
 * Maximum-likelihood score weights for `samples`, from `start` (a small ridge keeps Newton's steps well
 * posed). `maxIterations: 0` only measures the mean log-loss of `start`.
 */
export function fitScoreWeights(
  distribution: PathDistribution,
  samples: readonly CalibrationSample[],
  start: ScoreWeights,
  maxIterations = 50,
): { weights: ScoreWeights; meanLogLoss: number } {
  const leafCount = distribution.leaves.length;
  // Features per sample and leaf, computed once: f[s][j] = [leaf, bu, product, motive] values.
  // The fit is of the weights under the shipped temperature (the four weights alone cannot scale the
  // sibling terms), so every feature is divided by it: the softmax sees exactly what `probabilities` sees.
  const temperature = start.temperature ?? 1;
  const features = samples.map((s) =>
    Array.from({ length: leafCount }, (_, j) => distribution.leafFeatures(s.decisionValues, j).map((v) => v / temperature) as [number, number, number, number]),
  );
  // The sibling classifiers' log-probabilities enter every score with weight 1 (their scale is set apart).
  const offsets = samples.map((s) => distribution.siblingTerms(s.decisionValues)?.map((v) => v / temperature));
  let a = keys.map((k) => start[k]);
  const ridge = 1e-6;
  const evaluate = (w: number[]): { loss: number; gradient: number[]; hessian: number[][] } => {
    let loss = 0;
    const gradient = [0, 0, 0, 0];
    const hessian = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
    samples.forEach((sample, s) => {
      const rows = features[s] as [number, number, number, number][];
      const offset = offsets[s];
      const scores = rows.map((f, j) => f.reduce((sum, v, k) => sum + v * (w[k] as number), offset ? (offset[j] as number) : 0));
      const max = Math.max(...scores);
      const exps = scores.map((x) => Math.exp(x - max));
      const total = exps.reduce((x, y) => x + y, 0);
      loss += Math.log(total) + max - (scores[sample.leafIndex] as number);
      const mean = [0, 0, 0, 0];
      rows.forEach((f, j) => f.forEach((v, k) => (mean[k] = (mean[k] as number) + ((exps[j] as number) / total) * v)));
      const gold = rows[sample.leafIndex] as number[];
      for (let k = 0; k < 4; k++) gradient[k] = (gradient[k] as number) + (mean[k] as number) - (gold[k] as number);
      rows.forEach((f, j) => {
        const p = (exps[j] as number) / total;
        for (let k = 0; k < 4; k++) {
          for (let l = 0; l < 4; l++) {
            const row = hessian[k] as number[];
            row[l] = (row[l] as number) + p * ((f[k] as number) - (mean[k] as number)) * ((f[l] as number) - (mean[l] as number));
          }
        }
      });
    });
    const n = Math.max(samples.length, 1);
    return {
      loss: loss / n,
      gradient: gradient.map((g) => g / n),
      hessian: hessian.map((row, k) => row.map((h, l) => h / n + (k === l ? ridge : 0))),
    };
  };
  let current = evaluate(a);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const step = solve(current.hessian, current.gradient);
    // Backtracking: Newton's full step can overshoot far from the optimum.
    let scale = 1;
    let next = a.map((v, k) => v - scale * (step[k] as number));
    let candidate = evaluate(next);
    while (candidate.loss > current.loss && scale > 1e-4) {
      scale /= 2;
      next = a.map((v, k) => v - scale * (step[k] as number));
      candidate = evaluate(next);
    }
    if (candidate.loss > current.loss) break;
    const improvement = current.loss - candidate.loss;
    a = next;
    current = candidate;
    if (improvement < 1e-9) break;
  }
  const weights: ScoreWeights = { ...start, ...(Object.fromEntries(keys.map((k, i) => [k, a[i] as number])) as Pick<ScoreWeights, (typeof keys)[number]>) };
  return { weights, meanLogLoss: current.loss };
}

/** Solves the 4×4 system H x = g by Gaussian elimination with partial pivoting. */
function solve(matrix: number[][], vector: number[]): number[] {
  const n = vector.length;
  const m = matrix.map((row, i) => [...row, vector[i] as number]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[pivot] as number[])[col] as number)) pivot = r;
    [m[col], m[pivot]] = [m[pivot] as number[], m[col] as number[]];
    const top = m[col] as number[];
    const diagonal = top[col] as number;
    if (Math.abs(diagonal) < 1e-12) continue;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const row = m[r] as number[];
      const factor = (row[col] as number) / diagonal;
      for (let c = col; c <= n; c++) row[c] = (row[c] as number) - factor * (top[c] as number);
    }
  }
  return m.map((row, i) => {
    const diagonal = row[i] as number;
    return Math.abs(diagonal) < 1e-12 ? 0 : (row[n] as number) / diagonal;
  });
}

/** One scored conversation: the model's path confidence and whether the whole path was right. */
export interface ConfidencePoint {
  confidence: number;
  correct: boolean;
}

export interface ConfidenceBucket {
  from: number;
  to: number;
  count: number;
  meanConfidence: number;
  /** Share of these conversations whose path is right (0–1); NaN when the bucket is empty. */
  accuracy: number;
}

/** Bucket edges for the calibration table; finer near the top, where most conversations fall. */
export const defaultBucketEdges: readonly number[] = [0, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 1];

export function confidenceBuckets(points: readonly ConfidencePoint[], edges: readonly number[] = defaultBucketEdges): ConfidenceBucket[] {
  const buckets: ConfidenceBucket[] = [];
  for (let b = 0; b + 1 < edges.length; b++) {
    const from = edges[b] as number;
    const to = edges[b + 1] as number;
    const last = b + 2 === edges.length;
    const inside = points.filter((p) => p.confidence >= from && (last ? p.confidence <= to : p.confidence < to));
    buckets.push(summarise(from, to, inside));
  }
  return buckets;
}

export interface RouterShares {
  high: ConfidenceBucket;
  medium: ConfidenceBucket;
  low: ConfidenceBucket;
}

/** What the confidence Router would do with these conversations: ≥ high accept, ≥ medium validate, else low. */
export function routerShares(points: readonly ConfidencePoint[], thresholds: { high: number; medium: number }): RouterShares {
  return {
    high: summarise(thresholds.high, 1, points.filter((p) => p.confidence >= thresholds.high)),
    medium: summarise(thresholds.medium, thresholds.high, points.filter((p) => p.confidence >= thresholds.medium && p.confidence < thresholds.high)),
    low: summarise(0, thresholds.medium, points.filter((p) => p.confidence < thresholds.medium)),
  };
}

function summarise(from: number, to: number, points: readonly ConfidencePoint[]): ConfidenceBucket {
  const count = points.length;
  return {
    from,
    to,
    count,
    meanConfidence: count > 0 ? points.reduce((s, p) => s + p.confidence, 0) / count : Number.NaN,
    accuracy: count > 0 ? points.filter((p) => p.correct).length / count : Number.NaN,
  };
}
