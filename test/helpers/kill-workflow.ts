/**
 * The 50-step durable workflow of the kill tests (test/integration/kill.test.ts): 10 steps, a Parallel of 3
 * branches × 3 steps, a Loop of 4 iterations × 3 steps, a Router choosing one 4-step route from the state,
 * then 15 steps. Every step is deterministic (its output and state change depend only on its input), so an
 * interrupted run must end exactly like an uninterrupted one.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Loop, Parallel, Router, Step, Steps, Workflow } from '../../src/engine/index.js';
import type { StepInput, Storage } from '../../src/engine/index.js';

export const KILL_WORKFLOW_NAME = 'kill_test';
export const LEAF_STEPS = 50;

/** Called first thing in every step execution (the child writes it to the executions side table). */
export type ExecutionRecorder = (runId: string, stepPath: string) => void;

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 12);

function leaf(name: string, record: ExecutionRecorder | undefined, stepMs: number): Step {
  return new Step({
    name,
    executor: async (input: StepInput) => {
      record?.(input.runId, input.stepPath);
      if (stepMs > 0) await sleep(stepMs);
      const state = input.workflowSessionState;
      // Inside a Parallel branch each branch writes its own key (branches merge in declared order).
      const key = input.stepPath.includes('/') ? `tally_${input.stepPath.split('/')[1] ?? 'x'}` : 'tally';
      state[key] = ((state[key] as number | undefined) ?? 0) + name.length;
      return digest(`${JSON.stringify(input.previousStepContent ?? input.message)}|${input.stepPath}`);
    },
  });
}

export function buildKillWorkflow(options: { storage?: Storage; record?: ExecutionRecorder; stepMs?: number } = {}): Workflow {
  const stepMs = options.stepMs ?? 0;
  const step = (name: string) => leaf(name, options.record, stepMs);
  const range = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => step(`${prefix}${i}`));
  return new Workflow({
    name: KILL_WORKFLOW_NAME,
    storage: options.storage,
    storeEvents: true,
    steps: [
      ...range('intake_', 10),
      new Parallel(
        new Steps({ name: 'branch_a', steps: range('a', 3) }),
        new Steps({ name: 'branch_b', steps: range('b', 3) }),
        new Steps({ name: 'branch_c', steps: range('c', 3) }),
        { name: 'fanout' },
      ),
      new Loop({ name: 'refine', steps: range('draft_', 3), maxIterations: 4 }),
      new Router({
        name: 'route',
        evaluator: (input) => (((input.workflowSessionState.tally as number | undefined) ?? 0) % 2 === 0 ? 'even' : 'odd'),
        routes: { even: range('even_', 4), odd: range('odd_', 4) },
      }),
      ...range('wrapup_', 15),
    ],
  });
}
