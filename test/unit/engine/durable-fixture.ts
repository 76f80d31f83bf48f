/**
 * A workflow with every primitive in it (Parallel, Loop, Router, Condition, a nested workflow), whose steps
 * count their executions and can "crash" (hang forever, so the process is abandoned mid-step) at a chosen path.
 */
import type { Clock, StepInput, Storage } from '../../../src/engine/index.js';
import { Condition, Loop, Parallel, Router, Step, Workflow } from '../../../src/engine/index.js';
import type { ExecutionCounter } from './helpers.js';
import { never } from './helpers.js';

export interface FixtureOptions {
  counter: ExecutionCounter;
  /** Step path at which the step hangs (the simulated crash); none = run normally. */
  crashAt?: string;
  storage?: Storage;
  clock?: Clock;
  owner?: string;
}

export function createDurableWorkflow(options: FixtureOptions): Workflow {
  const { counter, crashAt } = options;
  /** A step that appends its path to the state's trail and adds 1 to the content. */
  const step = (name: string, extra?: (input: StepInput) => void) => new Step({
    name,
    executor: (input) => {
      counter.hit(input);
      const trail = (input.workflowSessionState.trail as string[] | undefined) ?? [];
      input.workflowSessionState.trail = [...trail, input.stepPath];
      extra?.(input);
      if (input.stepPath === crashAt) return never();
      return ((input.previousStepContent ?? 0) as number) + 1;
    },
  });
  const inner = new Workflow({ name: 'inner', steps: [step('i1'), step('i2', (input) => { input.workflowSessionState.inner = 'done'; })] });
  return new Workflow({
    name: 'durable',
    storage: options.storage,
    clock: options.clock,
    owner: options.owner,
    steps: [
      step('start'),
      new Parallel(
        step('fast', (input) => { input.workflowSessionState.fast = true; }),
        step('slow', (input) => { input.workflowSessionState.slow = true; }),
        { name: 'par' },
      ),
      new Loop({ name: 'loop', maxIterations: 5, steps: [step('body', (input) => { input.workflowSessionState.iterations = ((input.workflowSessionState.iterations as number | undefined) ?? 0) + 1; })] }),
      new Router({
        name: 'route',
        evaluator: (input) => {
          counter.hit(input); // the decision: recorded, so never taken twice
          return 'express';
        },
        routes: { express: [step('r1'), step('r2')], slow_lane: [step('never')] },
      }),
      new Condition({ name: 'maybe', evaluator: (input) => { counter.hit(input); return true; }, steps: [step('c1')] }),
      inner,
      step('final'),
    ],
  });
}

/** Every step path of one uninterrupted run of the fixture. */
export const FIXTURE_PATHS = [
  'start', 'par/fast', 'par/slow', 'loop/#1/body', 'loop/#2/body', 'loop/#3/body', 'loop/#4/body', 'loop/#5/body',
  'route', 'route/express/r1', 'route/express/r2', 'maybe', 'maybe/c1', 'inner/i1', 'inner/i2', 'final',
];
