/**
 * Content checks for the files that ship with the taxonomy: the self-service answers the bot sends, the
 * clarifying questions it asks when unsure, and the independent rough evaluation set. The files are read
 * straight from disk (not through src/taxonomy) so a content mistake is reported here, as content.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const root = new URL('../../', import.meta.url);
const readText = (relativePath: string): string => readFileSync(new URL(relativePath, root), 'utf8');

interface TaxonomyNode {
  id: string;
}
interface TaxonomyFile {
  businessUnits: (TaxonomyNode & {
    products: (TaxonomyNode & { motives: (TaxonomyNode & { submotives: TaxonomyNode[] })[] })[];
  })[];
}

const taxonomy = JSON.parse(readText('src/taxonomy/taxonomy.json')) as TaxonomyFile;
const productIds: string[] = [];
const submotiveIds: string[] = [];
/** "bu/product/motive/submotive" for every leaf: the only label paths a conversation may carry. */
const validPaths = new Set<string>();
for (const bu of taxonomy.businessUnits) {
  for (const product of bu.products) {
    productIds.push(product.id);
    for (const motive of product.motives) {
      for (const submotive of motive.submotives) {
        submotiveIds.push(submotive.id);
        validPaths.add([bu.id, product.id, motive.id, submotive.id].join('/'));
      }
    }
  }
}

const selfServiceSchema = z.strictObject({
  version: z.literal(1),
  answers: z.record(z.string(), z.string()),
  clarifyingQuestions: z.record(z.string(), z.string()),
  fallbackQuestion: z.string(),
});
const selfService = selfServiceSchema.parse(JSON.parse(readText('src/taxonomy/self-service.json')));

/**
 * Text that must never reach a customer: drafting leftovers and template holes. TODO/FIXME are matched in
 * capitals only, because "todo" is ordinary Portuguese ("todo mês").
 */
const placeholderPatterns = [/\b(TODO|TBD|FIXME)\b/, /\b(lorem|ipsum|x{3,})\b/i, /\{\{|\}\}|<[a-z_]+>|\?\?\?/];
const hasPlaceholder = (text: string): boolean => placeholderPatterns.some((pattern) => pattern.test(text));

describe('self-service answers (src/taxonomy/self-service.json)', () => {
  it('has an answer for every submotive of the taxonomy and none for unknown ids', () => {
    const answered = Object.keys(selfService.answers);
    expect(submotiveIds.filter((id) => !answered.includes(id)), 'submotives without an answer').toEqual([]);
    expect(answered.filter((id) => !submotiveIds.includes(id)), 'answers for ids not in taxonomy.json').toEqual([]);
  });

  it('has a clarifying question for every product and none for unknown ids', () => {
    const asked = Object.keys(selfService.clarifyingQuestions);
    expect(productIds.filter((id) => !asked.includes(id)), 'products without a clarifying question').toEqual([]);
    expect(asked.filter((id) => !productIds.includes(id)), 'questions for ids not in taxonomy.json').toEqual([]);
  });

  it('keeps every answer short enough for one WhatsApp message (80–600 characters, 2–4 sentences)', () => {
    const problems = Object.entries(selfService.answers).flatMap(([id, text]) => {
      const sentences = text.split(/(?<=[.!?])\s+(?=[A-ZÀ-Ý"])/u).length;
      const issues: string[] = [];
      if (text.length < 80 || text.length > 600) issues.push(`${id}: ${text.length} characters`);
      if (sentences < 2 || sentences > 4) issues.push(`${id}: ${sentences} sentences`);
      return issues;
    });
    expect(problems).toEqual([]);
  });

  it('asks each clarifying question (and the fallback) as one short question', () => {
    const questions = { ...selfService.clarifyingQuestions, fallback: selfService.fallbackQuestion };
    const problems = Object.entries(questions)
      .filter(([, text]) => text.length < 20 || text.length > 300 || !text.includes('?'))
      .map(([id, text]) => `${id}: "${text}"`);
    expect(problems).toEqual([]);
  });

  it('contains no placeholder text, untrimmed text or duplicated answers', () => {
    const texts = {
      ...selfService.answers,
      ...Object.fromEntries(Object.entries(selfService.clarifyingQuestions).map(([id, q]) => [`question:${id}`, q])),
      fallback: selfService.fallbackQuestion,
    };
    const problems = Object.entries(texts)
      .filter(([, text]) => hasPlaceholder(text) || text.trim() !== text || /\s{2,}/.test(text))
      .map(([id]) => id);
    expect(problems, 'texts with placeholders or stray whitespace').toEqual([]);
    const answerTexts = Object.values(selfService.answers);
    expect(new Set(answerTexts).size, 'two submotives share the same answer').toBe(answerTexts.length);
  });
});

const escalationReasons = [
  'security_concern',
  'explicit_request',
  'high_value',
  'multiple_attempts',
  'frustration_detected',
  'complex_issue',
  'system_limitation',
] as const;

const roughLineSchema = z.strictObject({
  id: z.string().regex(/^rough-\d{4}$/),
  messages: z
    .array(z.strictObject({ role: z.enum(['customer', 'bot']), text: z.string().trim().min(1) }))
    .min(1)
    .max(6),
  label: z.strictObject({
    businessUnit: z.string(),
    product: z.string(),
    motive: z.string(),
    submotive: z.string(),
  }),
  escalation: z.strictObject({
    shouldEscalate: z.boolean(),
    reason: z.enum(escalationReasons).nullable(),
    urgency: z.enum(['low', 'medium', 'high', 'critical']),
    emotion: z.enum(['neutral', 'satisfied', 'confused', 'frustrated', 'angry', 'urgent']),
  }),
});
type RoughLine = z.infer<typeof roughLineSchema>;

describe('rough evaluation set (data/datasets/typification-rough.jsonl)', () => {
  const rawLines = readText('data/datasets/typification-rough.jsonl').split('\n').filter((line) => line.trim() !== '');
  const parsed: RoughLine[] = [];
  const parseErrors: string[] = [];
  rawLines.forEach((line, index) => {
    try {
      parsed.push(roughLineSchema.parse(JSON.parse(line)));
    } catch (error) {
      parseErrors.push(`line ${index + 1}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });

  it('parses every line into the labeled-conversation shape, with unique ids', () => {
    expect(parseErrors).toEqual([]);
    expect(parsed.length).toBeGreaterThanOrEqual(150);
    expect(new Set(parsed.map((line) => line.id)).size).toBe(parsed.length);
    expect(parsed.filter((line) => !line.messages.some((m) => m.role === 'customer')).map((l) => l.id)).toEqual([]);
  });

  it('labels every conversation with a full, valid 4-level taxonomy path', () => {
    const invalid = parsed
      .map((line) => ({ id: line.id, path: Object.values(line.label).join('/') }))
      .filter(({ path }) => !validPaths.has(path));
    expect(invalid).toEqual([]);
  });

  it('has a consistent escalation: a reason exactly when escalating, low urgency exactly when not', () => {
    const inconsistent = parsed
      .filter(({ escalation: e }) => e.shouldEscalate !== (e.reason !== null) || e.shouldEscalate === (e.urgency === 'low'))
      .map((line) => `${line.id}: ${JSON.stringify(line.escalation)}`);
    expect(inconsistent).toEqual([]);
  });

  it('covers every business unit, almost every submotive and every escalation reason', () => {
    const units = new Set(parsed.map((line) => line.label.businessUnit));
    expect([...units].sort()).toEqual(taxonomy.businessUnits.map((bu) => bu.id).sort());
    expect(new Set(parsed.map((line) => line.label.submotive)).size).toBeGreaterThanOrEqual(60);
    const reasons = new Set(parsed.map((line) => line.escalation.reason));
    expect(escalationReasons.filter((reason) => !reasons.has(reason))).toEqual([]);
    const escalated = parsed.filter((line) => line.escalation.shouldEscalate).length / parsed.length;
    expect(escalated).toBeGreaterThan(0.3);
    expect(escalated).toBeLessThan(0.45);
  });
});

const demoSchema = z.object({
  version: z.literal(1),
  conversations: z.array(
    z.object({
      id: z.string().min(1),
      provider: z.enum(['meta', 'evolution']),
      customer: z.strictObject({ name: z.string().endsWith(' Teste'), phone: z.string().regex(/^5511900000\d{3}$/) }),
      expect: z.object({ outcome: z.enum(['self_service', 'clarifying_question', 'escalation']), submotive: z.string().optional() }),
      messages: z.array(z.strictObject({ text: z.string().trim().min(1), delayMs: z.number().int().min(0).max(30_000) })).min(1).max(4),
    }),
  ),
});

describe('demo conversations (demo/conversations.json)', () => {
  const demo = demoSchema.parse(JSON.parse(readText('demo/conversations.json')));

  it('uses fake customers, one phone each, and both providers', () => {
    const phones = demo.conversations.map((c) => c.customer.phone);
    expect(new Set(phones).size).toBe(phones.length);
    expect(new Set(demo.conversations.map((c) => c.provider))).toEqual(new Set(['meta', 'evolution']));
  });

  it('expects only submotives that exist, and shows self-service, a clarifying question and escalations', () => {
    const unknown = demo.conversations.filter((c) => c.expect.submotive !== undefined && !submotiveIds.includes(c.expect.submotive));
    expect(unknown.map((c) => c.id)).toEqual([]);
    expect(new Set(demo.conversations.map((c) => c.expect.outcome)).size).toBe(3);
  });
});
