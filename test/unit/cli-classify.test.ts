import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedModel } from '../../src/agents/embedded/index.js';
import { createModel } from '../../src/agents/eval/index.js';
import { ModelConfigError } from '../../src/agents/errors.js';
import { runClassify } from '../../src/cli/commands/classify.js';
import { runEval } from '../../src/cli/commands/eval.js';
import { defaultTaxonomy } from '../../src/taxonomy/index.js';

const taxonomy = defaultTaxonomy();
let model: EmbeddedModel;
let dir: string;

beforeAll(() => {
  model = EmbeddedModel.load({ taxonomy, modelDir: false });
  dir = mkdtempSync(join(os.tmpdir(), 'zapflow-cli-'));
});

/** Collects what the command writes to stdout. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const input = [
  JSON.stringify({ id: 'c1', messages: [{ role: 'customer', text: 'minha maquininha nao liga' }], channel: 'ignored' }),
  '{ this is not json',
  JSON.stringify({ id: 'c3', messages: [] }),
  '',
  JSON.stringify({ id: 44, messages: [{ role: 'customer', text: 'clonaram meu cartao' }, { role: 'bot', text: 'Vou te ajudar.' }, { role: 'customer', text: 'quero um atendente' }] }),
  JSON.stringify({ messages: [{ role: 'robot', text: 'x' }] }),
].join('\n');

describe('zapflow classify', () => {
  it('writes one line per input line, errors included, and goes on after a bad line', async () => {
    const file = join(dir, 'in.jsonl');
    writeFileSync(file, input);
    const out = sink();
    const result = await runClassify({ input: file, strict: false, model, taxonomy, stdout: out.stream });
    expect(result.exitCode).toBe(0);
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({ id: 'c1', businessUnit: 'merchant_acquiring', submotive: 'machine_not_turning_on' });
    expect(lines[0]).toHaveProperty('escalation.shouldEscalate', false);
    expect(lines[1]).toEqual({ error: 'line 2: not valid JSON' });
    expect(lines[2]).toMatchObject({ id: 'c3', error: expect.stringMatching(/at least one message/) });
    expect(lines[3]).toMatchObject({ id: '44', escalation: { shouldEscalate: true, reason: 'security_concern' } });
    expect(lines[4]).toMatchObject({ error: expect.stringMatching(/line 6: messages\.0\.role/) });
    for (const line of lines.filter((l) => !('error' in l))) {
      expect(taxonomy.isValidPath([line.businessUnit, line.product, line.motive, line.submotive] as string[])).toBe(true);
    }
  });

  it('--strict exits 1 when a line failed; --output writes the file', async () => {
    const file = join(dir, 'in2.jsonl');
    const output = join(dir, 'out.jsonl');
    writeFileSync(file, input);
    const result = await runClassify({ input: file, output, strict: true, model, taxonomy });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toBe(3);
    expect(readFileSync(output, 'utf8').trim().split('\n')).toHaveLength(5);
  });

  it('--model claude without a key is a clear error', () => {
    expect(() => createModel('claude', {})).toThrow(ModelConfigError);
    expect(() => createModel('claude', {})).toThrow(/ANTHROPIC_API_KEY/);
  });
});

describe('zapflow eval', () => {
  it('scores a labeled file: levels, escalation, confusions, throughput', async () => {
    const labeled = [
      {
        id: 'e1',
        messages: [{ role: 'customer', text: 'a maquina nao liga de jeito nenhum, ja troquei o carregador' }],
        label: { businessUnit: 'merchant_acquiring', product: 'card_machine', motive: 'machine_malfunction', submotive: 'machine_not_turning_on' },
        escalation: { shouldEscalate: false, reason: null, urgency: 'low', emotion: 'frustrated' },
      },
      {
        id: 'e2',
        messages: [{ role: 'customer', text: 'qro falar com um atendente sobre a fatura do cartao' }],
        label: { businessUnit: 'cards', product: 'credit_card', motive: 'credit_card_bill', submotive: 'bill_installment_plan' },
        escalation: { shouldEscalate: true, reason: 'explicit_request', urgency: 'medium', emotion: 'neutral' },
      },
    ];
    const file = join(dir, 'labeled.jsonl');
    writeFileSync(file, `${labeled.map((l) => JSON.stringify(l)).join('\n')}\nnot json\n`);
    let clock = 0;
    const { report, invalidLines } = await runEval({ input: file, model, taxonomy, now: () => (clock += 500) });
    expect(invalidLines).toEqual(['line 3: not valid JSON']);
    expect(report.conversations).toBe(2);
    expect(report.accuracy.businessUnit).toBe(100);
    expect(report.escalation).toMatchObject({ recall: 100, precision: 100, truePositives: 1 });
    expect(report.reasonAccuracy).toBe(100);
    expect(report.throughput).toBe(4); // 2 conversations in the 0.5 s the injected clock says
    expect(report.confusions.length).toBeLessThanOrEqual(10);
  });
});
