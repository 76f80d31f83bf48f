import { describe, expect, it } from 'vitest';
import { Engine, MemoryStorage } from '../../../src/engine/index.js';
import { FIXTURE_PATHS, createDurableWorkflow } from './durable-fixture.js';
import { ExecutionCounter, ManualClock, flush, processView } from './helpers.js';

/** Process A runs until the step at `crashAt` hangs (the crash); process B recovers after A's lease expired. */
async function crashAndRecover(crashAt: string) {
  const shared = new MemoryStorage();
  const clock = new ManualClock();
  const counter = new ExecutionCounter();
  // Process A's clock stops when it dies: no heartbeat renews its lease after that.
  const processA = createDurableWorkflow({ counter, crashAt, storage: processView(shared), clock: new ManualClock(clock.now()), owner: 'process-a' });
  const abandoned = processA.start({ message: 0, sessionId: 'conversation-1' });
  for (let i = 0; i < 100 && counter.of(crashAt) === 0; i++) await flush();
  expect(counter.of(crashAt)).toBe(1);
  expect((await shared.getRun(abandoned.runId))?.status).toBe('running');

  await clock.advance(30_001); // A's lease (30 s) has expired
  const processB = new Engine({ storage: processView(shared), workflows: [createDurableWorkflow({ counter, clock })], clock, owner: 'process-b', recoverEveryMs: 0 });
  const report = await processB.recover();
  expect(report.resumed.map((r) => r.runId)).toEqual([abandoned.runId]);
  const result = await report.resumed[0]!.result;
  await processB.stop();
  return { result, counter, shared, runId: abandoned.runId };
}

async function uninterrupted() {
  const counter = new ExecutionCounter();
  const storage = new MemoryStorage();
  const result = await createDurableWorkflow({ counter, storage }).run({ message: 0, sessionId: 'conversation-1' });
  return { result, counter, storage };
}

describe('resume after a crash', () => {
  it('an uninterrupted run executes every path once', async () => {
    const { result, counter } = await uninterrupted();
    expect(result.status).toBe('completed');
    expect([...counter.counts.keys()].sort()).toEqual([...FIXTURE_PATHS].sort());
    expect(counter.repeated()).toEqual([]);
  });

  it.each([
    ['inside a Parallel (the finished branch keeps its output)', 'par/slow'],
    ['inside a Loop (finished iterations are reused)', 'loop/#4/body'],
    ['inside a Router route (the recorded route is reused)', 'route/express/r2'],
    ['inside a Condition', 'maybe/c1'],
    ['inside a nested workflow', 'inner/i2'],
    ['at the last step', 'final'],
  ])('%s: completed steps never run again, the in-flight step runs once more, state and content are exact', async (_what, crashAt) => {
    const expected = await uninterrupted();
    const { result, counter, shared } = await crashAndRecover(crashAt);
    expect(result.status).toBe('completed');
    expect(result.content).toBe(expected.result.content);
    expect(result.sessionState).toEqual(expected.result.sessionState);
    expect((await shared.getSession('conversation-1'))?.state).toEqual((await expected.storage.getSession('conversation-1'))?.state);
    expect(counter.repeated()).toEqual([crashAt]);
    expect(counter.of(crashAt)).toBe(2);
    expect([...counter.counts.keys()].sort()).toEqual([...FIXTURE_PATHS].sort());
    expect(result.metrics.stepsReused).toBeGreaterThan(0);
    expect(result.events.some((e) => e.type === 'StepCompleted' && e.data.reused)).toBe(true);
  });

  it('rebuilds the parallel branch outputs of a reused Parallel for later steps', async () => {
    const { result } = await crashAndRecover('loop/#1/body');
    const par = result.stepResults.find((o) => o.stepName === 'par');
    expect(par?.content).toEqual({ fast: 2, slow: 2 });
    expect(par?.steps?.map((o) => o.stepName)).toEqual(['fast', 'slow']);
  });

  it('the recovered run is stored as completed and its lease released', async () => {
    const { shared, runId } = await crashAndRecover('par/fast');
    const record = await shared.getRun(runId);
    expect(record?.status).toBe('completed');
    expect(record?.leaseOwner).toBeUndefined();
  });
});
