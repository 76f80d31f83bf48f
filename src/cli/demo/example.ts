/**
 * `zapflow demo --example [--message "..."]`: runs the engine's example support workflow
 * (examples/support-triage) on a few customer messages, printing the engine's events live as they stream,
 * then each run's result. Offline: the classifier is a keyword stand-in and storage is in memory.
 */
import { MemoryStorage } from '../../engine/index.js';
import type { RunResult, WorkflowEvent } from '../../engine/index.js';
import { createKeywordClassifier, createSupportTriageWorkflow } from '../../../examples/registry.js';

const SAMPLE_MESSAGES = [
  'Oi, fui cobrado duas vezes na fatura deste mês, como faço o estorno?',
  'minha maquininha não liga desde ontem',
  'Isso é um absurdo!!! Ninguém resolve meu problema, vou cancelar',
];

export interface DemoOutput {
  write(line: string): void;
}

/** Runs the demo; resolves with each run's result (printing goes to `out`). */
export async function runDemo(messages: string[], out: DemoOutput): Promise<RunResult[]> {
  const storage = new MemoryStorage();
  let protocol = 0;
  const workflow = createSupportTriageWorkflow({
    classifier: createKeywordClassifier(),
    storage,
    nextProtocolNumber: async () => `2025${String(++protocol).padStart(6, '0')}`,
  });
  const results: RunResult[] = [];
  for (const [i, message] of messages.entries()) {
    out.write(`\n── conversation ${i + 1}: "${message}"`);
    const stream = workflow.stream({ message, sessionId: `demo-conversation-${i + 1}`, streamIntermediateSteps: true });
    for await (const event of stream) out.write(describe(event));
    const result = await stream.result;
    out.write(`  ⇒ ${result.status}: ${JSON.stringify(result.content)}`);
    out.write(`    state ${JSON.stringify(result.sessionState)} · ${result.metrics.stepsExecuted} steps in ${result.metrics.durationMs} ms`);
    const alerts = await storage.listOutbox({ runId: result.runId });
    for (const alert of alerts) out.write(`    outbox: ${alert.topic} ${JSON.stringify(alert.payload)} (key ${alert.key})`);
    results.push(result);
  }
  return results;
}

function describe(event: WorkflowEvent): string {
  const depth = event.stepPath === undefined ? 0 : event.stepPath.split('/').length;
  const indent = '  '.repeat(depth + 1);
  const where = event.stepPath ?? '';
  switch (event.type) {
    case 'StepCompleted':
      return `${indent}✓ ${where} → ${JSON.stringify(event.data.content)}`;
    case 'RouterExecutionCompleted':
      return `${indent}↪ ${where} chose "${event.data.route}"`;
    case 'ConditionExecutionCompleted':
      return `${indent}? ${where} = ${event.data.result}`;
    case 'StepError':
      return `${indent}✗ ${where} ${event.data.error.message}`;
    default:
      return `${indent}· ${event.type} ${where}`.trimEnd();
  }
}

export { SAMPLE_MESSAGES };
