/**
 * The model lab's worker thread: trains a version (`zapflow train`'s runTrain) or scores a candidate
 * version against the served one (`zapflow eval --compare`'s runEval), off the web process's event loop —
 * training takes about half a second on an idle core and grows with the corrections. One job per thread;
 * the answer is one message, then the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EmbeddedModel } from '../agents/embedded/embedded-model.js';
import { activeModel } from '../agents/embedded/model-versions.js';
import { runEval } from '../cli/commands/eval.js';
import { runTrain } from '../cli/commands/train.js';
import type { ModelJobAnswer, ModelJobRequest, ScoredModel } from './model-lab-messages.js';

async function answer(request: ModelJobRequest): Promise<ModelJobAnswer> {
  const started = performance.now();
  if (request.kind === 'train') {
    const info = runTrain({ dir: request.dir, ...(request.corrections !== undefined ? { corrections: request.corrections } : {}) });
    return { kind: 'train', version: info.version, conversations: info.conversations, sources: info.sources, correctedShipped: info.correctedShipped, seconds: (performance.now() - started) / 1000 };
  }
  // The served model: the promoted version, or the bundled one when none is promoted.
  const servedVersion = activeModel(request.dir)?.version;
  const served = servedVersion !== undefined ? EmbeddedModel.load({ modelDir: request.dir, version: servedVersion }) : EmbeddedModel.load({ modelDir: false });
  const candidate = EmbeddedModel.load({ modelDir: request.dir, version: request.candidate });
  const result = await runEval({ input: request.input, model: served, compareModel: candidate, strict: false });
  const scored = (model: EmbeddedModel, report: typeof result.report, overlap: typeof result.overlap): ScoredModel => ({
    modelId: model.modelId,
    businessUnit: report.accuracy.businessUnit,
    fullPath: report.accuracy.fullPath,
    escalationPrecision: report.escalation.precision,
    escalationRecall: report.escalation.recall,
    trainedOn: overlap.count,
  });
  return {
    kind: 'evaluate',
    conversations: result.report.conversations,
    skippedLines: result.invalidLines.length,
    served: scored(served, result.report, result.overlap),
    candidate: scored(candidate, result.compareReport ?? result.report, result.compareOverlap ?? result.overlap),
    seconds: (performance.now() - started) / 1000,
  };
}

const port = parentPort;
if (port) {
  answer(workerData as ModelJobRequest).then(
    (result) => port.postMessage({ ok: true, result }),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
}
