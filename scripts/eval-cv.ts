/**
 * `npm run eval:cv`: 5-fold cross-validation of the embedded model on the dev set (stratified, fixed seed).
 * Each fold's model (trained on the other four folds only) scores its held-out fold three ways: as written,
 * rewritten in rough WhatsApp style, and as the customer's turns only in rough style (closest to how the
 * product is judged: short, customer-only chats). When the independent rough-style labeled set exists, a
 * model trained on the whole dev set (never on that file) scores it too.
 *
 * Then the calibration of the path confidence (the product of the four level confidences): accuracy per
 * confidence bucket, and what the confidence Router would do with the thresholds of
 * config/workflows/conversation-typification.json.
 *
 * Options: --json (machine-readable), --folds N, --seed N, --repeat-seeds 1,2 (repeated CV means), --fit-calibration (fit the path-score weights
 * by maximum likelihood on the held-out scores and print them next to the shipped ones).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { classifyToRecord, crossValidate, evaluate, formatReport, stratifiedFolds, type ClassificationRecord, type EvaluationReport } from '../src/agents/eval/index.js';
import { confidenceBuckets, fitScoreWeights, routerShares, type CalibrationSample, type ConfidencePoint } from '../src/agents/embedded/calibration.js';
import { EmbeddedClassifiers } from '../src/agents/embedded/classifiers.js';
import { readLabeledConversations, type LabeledConversation } from '../src/agents/embedded/dataset.js';
import { EmbeddedModel } from '../src/agents/embedded/embedded-model.js';
import type { ScoreWeights } from '../src/agents/embedded/path-distribution.js';
import { roughenConversation } from '../src/agents/embedded/rough.js';
import { defaultTrainingSetFile, packageRoot } from '../src/agents/embedded/store.js';
import type { ConversationMessage } from '../src/agents/model.js';
import { defaultTaxonomy } from '../src/taxonomy/index.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    folds: { type: 'string', default: '5' },
    seed: { type: 'string', default: '42' },
    'fit-calibration': { type: 'boolean', default: false },
    /** Extra seeds for repeated stratified CV (e.g. "1,2"): a mean row per variant, for decisions. */
    'repeat-seeds': { type: 'string', default: '' },
  },
});
const taxonomy = defaultTaxonomy();
const conversations = readLabeledConversations(defaultTrainingSetFile());
const folds = Number(values.folds);
const seed = Number(values.seed);
const started = performance.now();

// Rougher than anything trained on, with seeds never used in training.
const rougher = { abbreviate: 0.8, typo: 0.1, split: 0.7, stripAccents: 0.95 };
const variants: Record<string, { title: string; rewrite: (m: readonly ConversationMessage[], s: number) => readonly ConversationMessage[] }> = {
  dev: { title: 'dev CV (held-out as written)', rewrite: (m) => m },
  devRough: { title: 'dev CV (held-out in rough style)', rewrite: (m, s) => roughenConversation(m, 500_000 + s, rougher) },
  devCustomerRough: {
    title: 'dev CV (customer turns only, rough)',
    rewrite: (m, s) => roughenConversation(m.filter((x) => x.role === 'customer'), 600_000 + s, rougher),
  },
};

const records: Record<string, ClassificationRecord[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const samples: CalibrationSample[] = [];
const leafIndex = new Map(taxonomy.leaves().map((leaf, i) => [leaf[3], i]));
const assignment = stratifiedFolds(conversations, folds, seed);
let shippedModel: EmbeddedModel | undefined;
for (let fold = 0; fold < folds; fold++) {
  const classifiers = EmbeddedClassifiers.train(taxonomy, conversations.filter((_, i) => assignment[i] !== fold));
  const model = new EmbeddedModel(classifiers);
  const heldOut = conversations.filter((_, i) => assignment[i] === fold);
  for (const [index, conversation] of heldOut.entries()) {
    for (const [key, variant] of Object.entries(variants)) {
      const messages = variant.rewrite(conversation.messages, 7919 * fold + index);
      // Sequential on purpose: the embedded model is synchronous underneath, and order keeps runs reproducible.
      (records[key] as ClassificationRecord[]).push(await classifyToRecord(model, taxonomy, { id: conversation.id, messages }));
      if (values['fit-calibration']) {
        const decisionValues = classifiers.typifier.decisionValues(classifiers.typifier.vectorize(messages));
        samples.push({ decisionValues, leafIndex: leafIndex.get(conversation.label.submotive) as number });
      }
    }
  }
}
const reports: Record<string, EvaluationReport> = {};
const points: Record<string, ConfidencePoint[]> = {};
for (const key of Object.keys(variants)) {
  reports[key] = evaluate(conversations, records[key] as ClassificationRecord[]);
  points[key] = confidencePoints(conversations, records[key] as ClassificationRecord[]);
}

// Repeated stratified CV: with ~6 examples per leaf one seed's folds move a figure by a point or more.
const repeatSeeds = values['repeat-seeds'].split(',').filter((x) => x.trim() !== '').map(Number);
const repeated: Record<string, EvaluationReport[]> = {};
if (repeatSeeds.length > 0) {
  for (const [key, variant] of Object.entries(variants)) {
    repeated[key] = [reports[key] as EvaluationReport];
    for (const extraSeed of repeatSeeds) {
      const transform = (m: readonly ConversationMessage[], s: number) => [...variant.rewrite(m, s)];
      repeated[key].push(await crossValidate({ taxonomy, conversations, folds, seed: extraSeed, transformHeldOut: transform }));
    }
  }
}

// Independent rough-style sets, written apart from the dev set (never trained on): scored by a model trained on all of dev.
const independentSets = { independentRough: 'typification-rough.jsonl', independentRough2: 'typification-rough-2.jsonl' };
const titles: Record<string, string> = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, v.title]));
for (const [key, name] of Object.entries(independentSets)) {
  const roughFile = join(packageRoot(), 'data', 'datasets', name);
  if (!existsSync(roughFile)) continue;
  const rough = readLabeledConversations(roughFile);
  shippedModel ??= new EmbeddedModel(EmbeddedClassifiers.train(taxonomy, conversations));
  const roughRecords: ClassificationRecord[] = [];
  for (const c of rough) roughRecords.push(await classifyToRecord(shippedModel, taxonomy, { id: c.id, messages: c.messages }));
  reports[key] = evaluate(rough, roughRecords);
  points[key] = confidencePoints(rough, roughRecords);
  titles[key] = `${name} (train: dev)`;
}

const thresholds = routerThresholds();
const calibration = Object.fromEntries(
  Object.entries(points).map(([key, p]) => [key, { buckets: confidenceBuckets(p), router: routerShares(p, thresholds) }]),
);
let fit: ReturnType<typeof fitScoreWeights> | undefined;
let shippedFit: ReturnType<typeof fitScoreWeights> | undefined;
if (values['fit-calibration']) {
  const distribution = (shippedModel ?? new EmbeddedModel(EmbeddedClassifiers.train(taxonomy, conversations))).classifiers.typifier.distribution;
  fit = fitScoreWeights(distribution, samples, distribution.weights);
  // The shipped weights' own log-loss on the same samples: zero Newton steps from them.
  shippedFit = fitScoreWeights(distribution, samples, distribution.weights, 0);
}
const seconds = (performance.now() - started) / 1000;

if (values.json) {
  console.log(JSON.stringify({ folds, seed, seconds: Math.round(seconds), thresholds, reports, calibration, fit }, null, 2));
} else {
  const pct = (v: number): string => (Number.isNaN(v) ? '   – ' : (100 * v).toFixed(1).padStart(5));
  const row = (name: string, r: EvaluationReport): string =>
    `| ${name.padEnd(40)} | ${[r.accuracy.businessUnit, r.accuracy.product, r.accuracy.motive, r.accuracy.submotive, r.accuracy.fullPath]
      .map((v) => v.toFixed(1).padStart(5))
      .join(' | ')} | ${r.escalation.precision.toFixed(1)} / ${r.escalation.recall.toFixed(1)} / ${r.escalation.f1.toFixed(1)} | ${r.reasonAccuracy.toFixed(1).padStart(5)} |`;
  console.log(`${folds}-fold CV, stratified by submotive, seed ${seed}, ${conversations.length} conversations (${seconds.toFixed(0)} s)\n`);
  console.log(`| ${'set'.padEnd(40)} |    BU | prod. | motiv | subm. |  path | escalation P / R / F1 | reason |`);
  console.log(`|${'-'.repeat(42)}|-------|-------|-------|-------|-------|-----------------------|--------|`);
  for (const [key, report] of Object.entries(reports)) console.log(row(titles[key] ?? key, report));
  console.log('\nTargets (dev CV): business unit ≥ 96 %, full path ≥ 87 %, escalation recall ≥ 97 % at precision ≥ 90 %, reason ≥ 90 %.\n');
  console.log(`| ${'macro-F1'.padEnd(40)} |    BU | prod. | motiv | subm. |`);
  console.log(`|${'-'.repeat(42)}|-------|-------|-------|-------|`);
  for (const [key, r] of Object.entries(reports)) {
    console.log(`| ${(titles[key] ?? key).padEnd(40)} | ${[r.macroF1.businessUnit, r.macroF1.product, r.macroF1.motive, r.macroF1.submotive].map((v) => v.toFixed(1).padStart(5)).join(' | ')} |`);
  }
  console.log('');

  const keys = Object.keys(calibration);
  console.log('Path confidence calibration: conversations / full-path accuracy % (mean confidence %) per bucket');
  console.log(`| confidence | ${keys.map((k) => k.padEnd(22)).join(' | ')} |`);
  console.log(`|------------|${keys.map(() => '-'.repeat(24)).join('|')}|`);
  const bucketCount = calibration[keys[0] as string]?.buckets.length ?? 0;
  for (let b = 0; b < bucketCount; b++) {
    const first = calibration[keys[0] as string]?.buckets[b];
    const cells = keys.map((k) => {
      const bucket = calibration[k]?.buckets[b];
      return bucket ? `${String(bucket.count).padStart(3)} / ${pct(bucket.accuracy)} (${pct(bucket.meanConfidence)})`.padEnd(22) : ''.padEnd(22);
    });
    console.log(`| ${first?.from.toFixed(2)}–${first?.to.toFixed(2)}  | ${cells.join(' | ')} |`);
  }
  console.log(`\nConfidence Router with the config's thresholds (high ≥ ${thresholds.high}, medium ≥ ${thresholds.medium}): share of conversations / full-path accuracy`);
  for (const [key, c] of Object.entries(calibration)) {
    const share = (n: number): string => `${((100 * n) / Math.max(1, points[key]?.length ?? 1)).toFixed(0).padStart(3)} %`;
    const cell = (b: { count: number; accuracy: number }): string => `${share(b.count)} @ ${pct(b.accuracy)} %`;
    console.log(`  ${(titles[key] ?? key).padEnd(40)} high ${cell(c.router.high)}   medium ${cell(c.router.medium)}   low ${cell(c.router.low)}`);
  }
  if (repeatSeeds.length > 0) {
    const mean = (list: EvaluationReport[], get: (r: EvaluationReport) => number): string => (list.reduce((sum, r) => sum + get(r), 0) / list.length).toFixed(1).padStart(5);
    console.log(`\nRepeated ${folds}-fold CV, mean over seeds ${[seed, ...repeatSeeds].join(', ')}:`);
    console.log(`| ${'set'.padEnd(40)} |    BU |  path | esc. P | esc. R | reason |`);
    for (const [key, list] of Object.entries(repeated)) {
      console.log(`| ${(titles[key] ?? key).padEnd(40)} | ${mean(list, (r) => r.accuracy.businessUnit)} | ${mean(list, (r) => r.accuracy.fullPath)} |  ${mean(list, (r) => r.escalation.precision)} |  ${mean(list, (r) => r.escalation.recall)} |  ${mean(list, (r) => r.reasonAccuracy)} |`);
    }
  }
  if (fit && shippedFit) {
    const show = (w: ScoreWeights): string => Object.entries(w).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${(v as number[]).join(', ')}]` : (v as number).toFixed(2)}`).join(', ');
    console.log(`\nScore weights fitted on ${samples.length} held-out scorings: ${show(fit.weights)} (mean log-loss ${fit.meanLogLoss.toFixed(4)})`);
    console.log(`Shipped score weights:                 ${show(shippedFit.weights)} (mean log-loss ${shippedFit.meanLogLoss.toFixed(4)})`);
  }
  console.log(`\n${formatReport(reports.dev as EvaluationReport, 'dev CV detail')}`);
}

function confidencePoints(gold: readonly LabeledConversation[], scored: readonly ClassificationRecord[]): ConfidencePoint[] {
  const byId = new Map(scored.map((r) => [r.id, r]));
  return gold.flatMap((c) => {
    const record = byId.get(c.id);
    return record ? [{ confidence: record.confidence, correct: record.submotive === c.label.submotive && record.businessUnit === c.label.businessUnit }] : [];
  });
}

/** The confidence Router's thresholds from the workflow config (the defaults when it cannot be read). */
function routerThresholds(): { high: number; medium: number } {
  try {
    const config = JSON.parse(readFileSync(join(packageRoot(), 'config', 'workflows', 'conversation-typification.json'), 'utf8')) as {
      confidence?: { high?: unknown; medium?: unknown };
    };
    const { high, medium } = config.confidence ?? {};
    if (typeof high === 'number' && typeof medium === 'number') return { high, medium };
  } catch {
    // fall through to the documented defaults
  }
  return { high: 0.8, medium: 0.5 };
}
