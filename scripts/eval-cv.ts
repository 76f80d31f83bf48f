/**
 * `npm run eval:cv`: 5-fold cross-validation of the embedded model on the dev set (stratified, fixed seed),
 * on the held-out folds as written and rewritten in rough WhatsApp style; and, when the independent
 * rough-style labeled set exists, a score on it for a model trained on the whole dev set (never on it).
 * Options: --json (machine-readable), --folds N, --seed N.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crossValidate, evaluate, formatReport, classifyToRecord, type EvaluationReport } from '../src/agents/eval/index.js';
import { EmbeddedClassifiers } from '../src/agents/embedded/classifiers.js';
import { readLabeledConversations } from '../src/agents/embedded/dataset.js';
import { EmbeddedModel } from '../src/agents/embedded/embedded-model.js';
import { roughenConversation } from '../src/agents/embedded/rough.js';
import { defaultTrainingSetFile, packageRoot } from '../src/agents/embedded/store.js';
import { defaultTaxonomy } from '../src/taxonomy/index.js';

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, folds: { type: 'string', default: '5' }, seed: { type: 'string', default: '42' } },
});
const taxonomy = defaultTaxonomy();
const conversations = readLabeledConversations(defaultTrainingSetFile());
const folds = Number(values.folds);
const seed = Number(values.seed);

const started = performance.now();
const reports: Record<string, EvaluationReport> = {};
reports.dev = await crossValidate({ taxonomy, conversations, folds, seed });
// Stronger than the training augmentation's settings, and other seeds: the held-out text is rougher than anything trained on.
reports.devRough = await crossValidate({
  taxonomy,
  conversations,
  folds,
  seed,
  transformHeldOut: (messages, s) => roughenConversation(messages, 500_000 + s, { abbreviate: 0.8, typo: 0.1, split: 0.7, stripAccents: 0.95 }),
});
const roughFile = join(packageRoot(), 'data', 'datasets', 'typification-rough.jsonl');
if (existsSync(roughFile)) {
  const rough = readLabeledConversations(roughFile);
  const model = new EmbeddedModel(EmbeddedClassifiers.train(taxonomy, conversations));
  const records = [];
  for (const c of rough) records.push(await classifyToRecord(model, taxonomy, { id: c.id, messages: c.messages }));
  reports.independentRough = evaluate(rough, records);
}
const seconds = (performance.now() - started) / 1000;

if (values.json) {
  console.log(JSON.stringify({ folds, seed, seconds: Math.round(seconds), reports }, null, 2));
} else {
  const row = (name: string, r: EvaluationReport): string =>
    `| ${name.padEnd(40)} | ${[r.accuracy.businessUnit, r.accuracy.product, r.accuracy.motive, r.accuracy.submotive, r.accuracy.fullPath]
      .map((v) => v.toFixed(1).padStart(5))
      .join(' | ')} | ${r.escalation.precision.toFixed(1)} / ${r.escalation.recall.toFixed(1)} / ${r.escalation.f1.toFixed(1)} | ${r.reasonAccuracy.toFixed(1).padStart(5)} |`;
  console.log(`${folds}-fold CV, stratified by submotive, seed ${seed}, ${conversations.length} conversations (${seconds.toFixed(0)} s)\n`);
  console.log(`| ${'set'.padEnd(40)} |    BU | prod. | motiv | subm. |  path | escalation P / R / F1 | reason |`);
  console.log(`|${'-'.repeat(42)}|-------|-------|-------|-------|-------|-----------------------|--------|`);
  console.log(row('dev CV (held-out as written)', reports.dev));
  console.log(row('dev CV (held-out in rough style)', reports.devRough));
  if (reports.independentRough) console.log(row('typification-rough.jsonl (train: dev)', reports.independentRough));
  console.log('\nTargets: business unit ≥ 95 %, full path ≥ 80 %, escalation recall ≥ 95 % at precision ≥ 85 %.\n');
  console.log(formatReport(reports.dev, 'dev CV detail'));
}
