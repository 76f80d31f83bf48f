/**
 * The service's embedded model follows promotions without a restart: a promotion (the CLI's or the
 * console's, both write active.json) is used from the next turn on, in every process that shares the model
 * folder; a turn in flight keeps the version it started with; a promoted version that cannot be loaded
 * leaves the previous one answering and says so.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotedEmbeddedModel } from '../../../src/agents/embedded/index.js';
import { activeModelFile, promoteModelVersion } from '../../../src/agents/embedded/model-versions.js';
import type { ModelRequest } from '../../../src/agents/model.js';
import { runTrain } from '../../../src/cli/commands/train.js';
import { defaultTaxonomy } from '../../../src/taxonomy/index.js';
import { embeddedModel } from '../../helpers/workflow-deps.js';

const taxonomy = defaultTaxonomy();
const request: ModelRequest<{ shouldEscalate: boolean }> = {
  agentName: 'escalation-analyst', instructions: '', conversation: [{ role: 'customer', text: 'quero falar com um atendente' }],
  task: { kind: 'escalation' }, responseSchema: z.object({ shouldEscalate: z.boolean() }).passthrough(),
};

describe('PromotedEmbeddedModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zapflow-promoted-'));
  let version: string;
  beforeAll(() => {
    version = runTrain({ dir, taxonomy }).version;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('answers with the bundled model until a promotion, then with the promoted version from the next turn, in every process', async () => {
    const switches: Array<{ from: string; to: string }> = [];
    const model = new PromotedEmbeddedModel({ dir, taxonomy, bundled: embeddedModel, onSwitch: (change) => switches.push(change) });
    const otherProcess = new PromotedEmbeddedModel({ dir, taxonomy, bundled: embeddedModel });
    expect((await model.complete(request)).modelId).toBe(embeddedModel().modelId);

    const inFlight: string[] = [];
    await model.forTurn(async () => {
      inFlight.push((await model.complete(request)).modelId);
      promoteModelVersion(version, taxonomy, { dir, by: 'rita' });
      // The same turn goes on with the version it started with.
      inFlight.push((await model.complete(request)).modelId);
    });
    expect(inFlight).toEqual([embeddedModel().modelId, embeddedModel().modelId]);

    const next = await model.forTurn(() => model.complete(request));
    expect(next.modelId).toBe(`zapflow-embedded-1@${version}`);
    expect((await otherProcess.complete(request)).modelId).toBe(`zapflow-embedded-1@${version}`);
    expect(switches).toEqual([{ from: embeddedModel().modelId, to: `zapflow-embedded-1@${version}` }]);
  });

  it('a turn that starts after a promotion while another is under way waits for it, then answers with the new version', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'zapflow-promoted-'));
    try {
      const trained = runTrain({ dir: dir2, taxonomy }).version;
      const model = new PromotedEmbeddedModel({ dir: dir2, taxonomy, bundled: embeddedModel });
      const order: string[] = [];
      let finishFirst!: () => void;
      const first = model.forTurn(async () => {
        order.push(`first:${(await model.complete(request)).modelId}`);
        await new Promise<void>((resolve) => (finishFirst = resolve));
        order.push(`first:${(await model.complete(request)).modelId}`);
      });
      await new Promise((resolve) => setImmediate(resolve));
      promoteModelVersion(trained, taxonomy, { dir: dir2, by: 'rita' });
      const second = model.forTurn(async () => void order.push(`second:${(await model.complete(request)).modelId}`));
      await new Promise((resolve) => setImmediate(resolve));
      // The second turn has not started: the first is still under way on the version it started with.
      expect(order).toEqual([`first:${embeddedModel().modelId}`]);
      finishFirst();
      await Promise.all([first, second]);
      expect(order).toEqual([`first:${embeddedModel().modelId}`, `first:${embeddedModel().modelId}`, `second:zapflow-embedded-1@${trained}`]);
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });

  it('keeps the current version answering when the promoted one cannot be loaded, and reports it once', async () => {
    promoteModelVersion(version, taxonomy, { dir, by: 'rita' });
    const failures: unknown[] = [];
    const model = new PromotedEmbeddedModel({ dir, taxonomy, bundled: embeddedModel, onLoadError: (error) => failures.push(error) });
    expect(model.current().modelId).toBe(`zapflow-embedded-1@${version}`);
    // A version whose file is gone (promoted by hand, or deleted afterwards).
    writeFileSync(activeModelFile(dir), JSON.stringify({ version: '0123456789abcdef', promotedAt: new Date().toISOString(), promotedBy: 'someone' }));
    expect((await model.complete(request)).modelId).toBe(`zapflow-embedded-1@${version}`);
    expect((await model.complete(request)).modelId).toBe(`zapflow-embedded-1@${version}`);
    expect(failures).toHaveLength(1);
    expect(String(failures[0])).toContain('0123456789abcdef');
  });
});
