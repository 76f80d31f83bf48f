/**
 * Scores classification records against labeled conversations, the way /work/shared/tools/score.mjs does:
 * a level counts only when every level above it is right too; escalation precision/recall over
 * shouldEscalate; reason accuracy over the conversations both sides escalate.
 */
import type { LabeledConversation } from '../embedded/dataset.js';
import { isErrorRecord, type OutputRecord } from './records.js';

export interface Confusion {
  expected: string;
  predicted: string;
  count: number;
}

export interface EvaluationReport {
  conversations: number;
  /** Labeled conversations with no output record. */
  missing: number;
  /** Output records that are errors. */
  errors: number;
  /** Percentages (0–100), one decimal. */
  accuracy: { businessUnit: number; product: number; motive: number; submotive: number; fullPath: number };
  escalation: { precision: number; recall: number; f1: number; truePositives: number; falsePositives: number; falseNegatives: number };
  /** Macro-averaged F1 per level (each level scored on its own, over the classes present in the labels), 0–100. */
  macroF1: { businessUnit: number; product: number; motive: number; submotive: number };
  reasonAccuracy: number;
  urgencyAccuracy: number;
  emotionAccuracy: number;
  /** The most frequent wrong full paths, as "expected submotive → predicted submotive". */
  confusions: Confusion[];
  /** Conversations per second, when the caller timed the run. */
  throughput?: number;
}

const pct = (part: number, whole: number): number => (whole > 0 ? Math.round((1000 * part) / whole) / 10 : 0);

export function evaluate(gold: readonly LabeledConversation[], records: readonly OutputRecord[], topConfusions = 10): EvaluationReport {
  const byId = new Map<string, OutputRecord>();
  for (const record of records) if (record.id !== undefined) byId.set(record.id, record);
  const levels = { businessUnit: 0, product: 0, motive: 0, submotive: 0 };
  let missing = 0;
  let errors = 0;
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let reasonRight = 0;
  let urgencyRight = 0;
  let emotionRight = 0;
  let scored = 0;
  const confusions = new Map<string, number>();
  for (const conversation of gold) {
    const record = byId.get(conversation.id);
    const expectEscalation = conversation.escalation.shouldEscalate;
    if (!record || isErrorRecord(record)) {
      if (record) errors++;
      else missing++;
      if (expectEscalation) fn++;
      continue;
    }
    scored++;
    const label = conversation.label;
    const bu = record.businessUnit === label.businessUnit;
    const product = bu && record.product === label.product;
    const motive = product && record.motive === label.motive;
    const submotive = motive && record.submotive === label.submotive;
    levels.businessUnit += Number(bu);
    levels.product += Number(product);
    levels.motive += Number(motive);
    levels.submotive += Number(submotive);
    if (!submotive) {
      const key = `${label.submotive}\u0000${record.submotive}`;
      confusions.set(key, (confusions.get(key) ?? 0) + 1);
    }
    const predicted = record.escalation.shouldEscalate;
    if (predicted && expectEscalation) {
      tp++;
      if (record.escalation.reason === conversation.escalation.reason) reasonRight++;
    } else if (predicted) fp++;
    else if (expectEscalation) fn++;
    urgencyRight += Number(record.escalation.urgency === conversation.escalation.urgency);
    emotionRight += Number(record.escalation.emotion === conversation.escalation.emotion);
  }
  const n = gold.length;
  const precision = pct(tp, tp + fp);
  const recall = pct(tp, tp + fn);
  return {
    conversations: n,
    missing,
    errors,
    accuracy: {
      businessUnit: pct(levels.businessUnit, n),
      product: pct(levels.product, n),
      motive: pct(levels.motive, n),
      submotive: pct(levels.submotive, n),
      fullPath: pct(levels.submotive, n),
    },
    escalation: {
      precision,
      recall,
      f1: precision + recall > 0 ? Math.round((20 * precision * recall) / (precision + recall)) / 10 : 0,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
    },
    macroF1: macroF1PerLevel(gold, byId),
    reasonAccuracy: pct(reasonRight, tp),
    urgencyAccuracy: pct(urgencyRight, scored),
    emotionAccuracy: pct(emotionRight, scored),
    confusions: [...confusions.entries()]
      .map(([key, count]) => {
        const [expected = '', predicted = ''] = key.split('\u0000');
        return { expected, predicted, count };
      })
      .sort((a, b) => b.count - a.count || a.expected.localeCompare(b.expected) || a.predicted.localeCompare(b.predicted))
      .slice(0, topConfusions),
  };
}

const levelKeys = ['businessUnit', 'product', 'motive', 'submotive'] as const;

function macroF1PerLevel(gold: readonly LabeledConversation[], byId: ReadonlyMap<string, OutputRecord>): EvaluationReport['macroF1'] {
  const out = { businessUnit: 0, product: 0, motive: 0, submotive: 0 };
  for (const level of levelKeys) {
    const counts = new Map<string, { tp: number; fp: number; fn: number }>();
    const entry = (id: string): { tp: number; fp: number; fn: number } => {
      let counted = counts.get(id);
      if (!counted) counts.set(id, (counted = { tp: 0, fp: 0, fn: 0 }));
      return counted;
    };
    for (const conversation of gold) {
      const expected = conversation.label[level];
      const record = byId.get(conversation.id);
      const predicted = record && !isErrorRecord(record) ? record[level] : undefined;
      if (predicted === expected) entry(expected).tp++;
      else {
        entry(expected).fn++;
        if (predicted !== undefined) entry(predicted).fp++;
      }
    }
    const present = new Set(gold.map((c) => c.label[level]));
    let sum = 0;
    for (const id of present) {
      const { tp, fp, fn } = entry(id);
      sum += tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    }
    out[level] = present.size > 0 ? Math.round((1000 * sum) / present.size) / 10 : 0;
  }
  return out;
}

/** A plain-text table of a report (what `zapflow eval` prints without --json). */
export function formatReport(report: EvaluationReport, title = 'Evaluation'): string {
  const f = (value: number): string => `${value.toFixed(1)} %`.padStart(8);
  const lines = [
    `${title} — ${report.conversations} conversations${report.errors ? `, ${report.errors} errors` : ''}${report.missing ? `, ${report.missing} missing` : ''}`,
    `  business unit       ${f(report.accuracy.businessUnit)}`,
    `  product             ${f(report.accuracy.product)}`,
    `  motive              ${f(report.accuracy.motive)}`,
    `  submotive           ${f(report.accuracy.submotive)}`,
    `  full path           ${f(report.accuracy.fullPath)}`,
    `  macro-F1 BU / product / motive / submotive  ${[report.macroF1.businessUnit, report.macroF1.product, report.macroF1.motive, report.macroF1.submotive].map((v) => v.toFixed(1)).join(' / ')}`,
    `  escalation P / R / F1  ${report.escalation.precision.toFixed(1)} / ${report.escalation.recall.toFixed(1)} / ${report.escalation.f1.toFixed(1)}  (tp ${report.escalation.truePositives}, fp ${report.escalation.falsePositives}, fn ${report.escalation.falseNegatives})`,
    `  reason accuracy     ${f(report.reasonAccuracy)}`,
    `  urgency accuracy    ${f(report.urgencyAccuracy)}`,
    `  emotion accuracy    ${f(report.emotionAccuracy)}`,
  ];
  if (report.throughput !== undefined) lines.push(`  throughput          ${report.throughput.toFixed(0)} conversations/s`);
  if (report.confusions.length > 0) {
    lines.push('  most frequent confusions (expected → predicted submotive):');
    for (const c of report.confusions) lines.push(`    ${String(c.count).padStart(3)}  ${c.expected} → ${c.predicted}`);
  }
  return lines.join('\n');
}
