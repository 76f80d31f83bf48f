/**
 * Real dependencies for workflow tests: the embedded model, the bundled taxonomy and config files, and a
 * storage of the caller's choice. Plus `ScriptedConfidenceModel`, which wraps a real model and overrides
 * the confidence (or the answer) of chosen calls, to drive the confidence Router's three branches.
 */
import { DEFAULT_SLA_MINUTES } from '../../src/config.js';
import { EmbeddedModel } from '../../src/agents/embedded/index.js';
import type { Model, ModelRequest, ModelResponse } from '../../src/agents/model.js';
import type { Storage } from '../../src/engine/index.js';
import { defaultTaxonomy } from '../../src/taxonomy/index.js';
import { loadWorkflowConfig } from '../../src/workflows/config.js';
import type { WorkflowDeps } from '../../src/workflows/deps.js';

let embedded: EmbeddedModel | undefined;

export function embeddedModel(): EmbeddedModel {
  embedded ??= EmbeddedModel.load({ modelDir: false }); // the bundled model, whatever a developer promoted locally
  return embedded;
}

export function workflowDeps(storage: Storage, models?: Partial<WorkflowDeps['models']>): WorkflowDeps {
  const model = embeddedModel();
  return {
    storage,
    models: { classifier: models?.classifier ?? model, escalation: models?.escalation ?? model },
    taxonomy: defaultTaxonomy(),
    config: { typification: loadWorkflowConfig('conversation-typification'), handoff: loadWorkflowConfig('human-handoff') },
    slaMinutes: DEFAULT_SLA_MINUTES,
  };
}

type Override = (request: ModelRequest<unknown>, answer: unknown) => unknown;

/** Delegates to `inner`, then lets `override` rewrite the (already valid) answer before the schema check. */
export class ScriptedModel implements Model {
  readonly provider = 'scripted';
  readonly calls: Array<ModelRequest<unknown>> = [];

  constructor(
    private readonly inner: Model,
    private readonly override: Override,
  ) {}

  async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
    this.calls.push(request as ModelRequest<unknown>);
    const response = await this.inner.complete(request);
    const content = this.override(request as ModelRequest<unknown>, response.content);
    return { ...response, content: request.responseSchema.parse(content) };
  }
}

/** Every level answered with this confidence (the path confidence is its 4th power). */
export function withLevelConfidence(inner: Model, confidence: number): ScriptedModel {
  return new ScriptedModel(inner, (request, answer) =>
    request.task.kind === 'classify' ? { ...(answer as object), confidence } : answer,
  );
}
