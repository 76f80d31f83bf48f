import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedModel } from '../../../src/agents/embedded/index.js';
import { activeModel, listModelVersions, promoteModelVersion } from '../../../src/agents/embedded/model-versions.js';
import { defaultTrainingSetFile } from '../../../src/agents/embedded/store.js';
import { EvalInputError, overlapWarning, runEval } from '../../../src/cli/commands/eval.js';
import { runTrain } from '../../../src/cli/commands/train.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';

const taxonomy = defaultTaxonomy();
let model: EmbeddedModel;
let dir: string;

beforeAll(() => {
  model = EmbeddedModel.load({ taxonomy, modelDir: false });
  dir = mkdtempSync(join(os.tmpdir(), 'zapflow-eval-'));
});

const good = {
  id: 'n1',
  messages: [{ role: 'customer', text: 'minha maquininha apagou e nao liga mais, ja deixei carregando a noite toda' }],
  label: { businessUnit: 'merchant_acquiring', product: 'card_machine', motive: 'machine_malfunction', submotive: 'machine_not_turning_on' },
  escalation: { shouldEscalate: false, reason: null, urgency: 'low', emotion: 'frustrated' },
};

function file(name: string, lines: readonly unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

describe('zapflow eval refuses input it cannot score honestly', () => {
  it('an empty file exits with an error, not a 0 % report', async () => {
    await expect(runEval({ input: file('empty.jsonl', ['']), model, taxonomy })).rejects.toThrow(/has no labeled conversations/);
  });

  it('a label outside the taxonomy names the line and the field', async () => {
    const bad = { ...good, id: 'n2', label: { ...good.label, submotive: 'machine_exploded' } };
    const error = await runEval({ input: file('badlabel.jsonl', [good, bad]), model, taxonomy }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EvalInputError);
    expect((error as Error).message).toMatch(/line 2: label\.submotive "machine_exploded" is not in the taxonomy/);
  });

  it('a valid id under the wrong parent says which level it does not belong to', async () => {
    const bad = { ...good, label: { ...good.label, product: 'credit_card' } };
    await expect(runEval({ input: file('wrongparent.jsonl', [bad]), model, taxonomy })).rejects.toThrow(/label\.product "credit_card" is not under label\.businessUnit/);
  });

  it('malformed lines are skipped with their field named, and stop the run with --strict', async () => {
    const badReason = { ...good, id: 'n3', escalation: { ...good.escalation, reason: 'bored' } };
    const input = file('malformed.jsonl', [good, badReason, '{oops']);
    const lenient = await runEval({ input, model, taxonomy });
    expect(lenient.report.conversations).toBe(1);
    expect(lenient.invalidLines).toEqual([expect.stringMatching(/^line 2: escalation\.reason: /), 'line 3: not valid JSON']);
    await expect(runEval({ input, model, taxonomy, strict: true })).rejects.toThrow(/2 malformed line\(s\) with --strict; first: line 2: escalation\.reason/);
  });

  it('warns loudly when the input overlaps the training set by content, whatever the ids', async () => {
    const dev = readFileSync(defaultTrainingSetFile(), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 3);
    const renamed = dev.map((line, i) => ({ ...(JSON.parse(line) as object), id: `copy-${i}` }));
    const result = await runEval({ input: file('overlap.jsonl', [...renamed, good]), model, taxonomy });
    expect(result.overlap).toEqual({ count: 3, total: 4 });
    const warning = overlapWarning(result.overlap, model.modelId) ?? '';
    expect(warning).toMatch(/WARNING: 3 of 4 conversations \(75\.0 %\) are in the training set/);
    expect(overlapWarning((await runEval({ input: file('fresh.jsonl', [good]), model, taxonomy })).overlap, model.modelId)).toBeUndefined();
  });
});

describe('training, comparing and promoting model versions', () => {
  it('a correction trains a new version that is used only after promotion', async () => {
    const modelDir = join(dir, 'models');
    // An agent's correction, in the shape `zapflow corrections export` writes.
    const text = 'o cliente pagou com link de pagamento e o dinheiro nao apareceu nas minhas vendas';
    const correction = { ...good, id: 'corr-1', messages: [{ role: 'customer', text }] };
    const corrections = file('corrections.jsonl', [correction]);
    const first = runTrain({ corrections, dir: modelDir, taxonomy });
    expect(first.version).toMatch(/^[0-9a-f]{16}$/);
    expect(first.conversations).toBe(422);
    expect(runTrain({ corrections, dir: modelDir, taxonomy }).version).toBe(first.version); // same data, same version
    expect(listModelVersions(modelDir)).toEqual([first.version]);

    // Not promoted: the service keeps the bundled model.
    expect(EmbeddedModel.load({ taxonomy, modelDir }).modelId).toMatch(/^zapflow-embedded-1@builtin-/);

    const candidate = EmbeddedModel.load({ taxonomy, modelDir, version: first.version });
    const compared = await runEval({ input: file('compare.jsonl', [correction]), model, compareModel: candidate, taxonomy });
    expect(compared.overlap.count).toBe(0);
    expect(compared.compareOverlap?.count).toBe(1); // the candidate was trained on it

    promoteModelVersion(first.version, taxonomy, { dir: modelDir, by: 'admin' });
    expect(activeModel(modelDir)).toMatchObject({ version: first.version, promotedBy: 'admin' });
    const served = EmbeddedModel.load({ taxonomy, modelDir });
    expect(served.modelId).toBe(`zapflow-embedded-1@${first.version}`);
    expect(served.trainingHashes.size).toBe(422);
  });

  it('refuses to promote a version that does not exist, and corrections with labels outside the taxonomy', () => {
    const modelDir = join(dir, 'models-2');
    expect(() => promoteModelVersion('0123456789abcdef', taxonomy, { dir: modelDir })).toThrow(/cannot be read/);
    const bad = file('bad-corrections.jsonl', [{ ...good, label: { ...good.label, motive: 'nope' } }]);
    expect(() => runTrain({ corrections: bad, dir: modelDir, taxonomy })).toThrow(/label\.motive "nope" is not in the taxonomy/);
    expect(listModelVersions(modelDir)).toEqual([]);
  });
});
