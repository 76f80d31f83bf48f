/**
 * A workflow registry (the guide's WORKFLOW_REGISTRY): factories by id, each taking its dependencies.
 * The app builds every workflow once at start (with real agents and storage) and hands them to an Engine.
 */
import type { Workflow } from '../src/engine/index.js';
import type { SupportTriageDeps } from './support-triage/workflow.js';
import { createSupportTriageWorkflow } from './support-triage/workflow.js';

export interface ExampleDeps {
  'support-triage': SupportTriageDeps;
}

export const EXAMPLE_WORKFLOWS: { [K in keyof ExampleDeps]: (deps: ExampleDeps[K]) => Workflow } = {
  'support-triage': createSupportTriageWorkflow,
};

export function getExampleWorkflow<K extends keyof ExampleDeps>(id: K, deps: ExampleDeps[K]): Workflow {
  const factory = EXAMPLE_WORKFLOWS[id];
  if (factory === undefined) throw new Error(`Workflow "${String(id)}" not found; known: ${Object.keys(EXAMPLE_WORKFLOWS).join(', ')}`);
  return factory(deps);
}

export { createKeywordClassifier } from './support-triage/agents.js';
export { createSupportTriageWorkflow } from './support-triage/workflow.js';
export type { SupportTriageDeps } from './support-triage/workflow.js';
