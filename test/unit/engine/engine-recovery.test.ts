import { describe, expect, it, vi } from 'vitest';
import { Engine, InvalidOptionError, MemoryStorage, Step, Workflow, WorkflowNotRegisteredError } from '../../../src/engine/index.js';
import { createDurableWorkflow } from './durable-fixture.js';
import { ExecutionCounter, ManualClock, flush, processView } from './helpers.js';

/**
 * Leaves `count` runs "running" in storage, owned by a process that then dies: its clock never moves again,
 * so it never heartbeats, and its leases expire `leaseTtlMs` (30 s) after `clock.now()`.
 */
async function abandonRuns(shared: MemoryStorage, clock: ManualClock, count: number): Promise<string[]> {
  const counter = new ExecutionCounter();
  const dead = createDurableWorkflow({ counter, crashAt: 'par/slow', storage: processView(shared), clock: new ManualClock(clock.now()), owner: 'dead' });
  const ids = Array.from({ length: count }, (_, i) => dead.start({ message: 0, sessionId: `conv-${i}` }).runId);
  for (let i = 0; i < 100 && counter.of('par/slow') < count; i++) await flush();
  expect(counter.of('par/slow')).toBe(count);
  return ids;
}

describe('Engine', () => {
  it('two processes recovering at once resume each run exactly once', async () => {
    const shared = new MemoryStorage();
    const clock = new ManualClock();
    const ids = await abandonRuns(shared, clock, 6);
    await clock.advance(30_001);
    const engine = (owner: string) => new Engine({ storage: processView(shared), workflows: [createDurableWorkflow({ counter: new ExecutionCounter() })], clock, owner, recoverBatchSize: 2, recoverEveryMs: 0 });
    const [b, c] = [engine('b'), engine('c')];
    const [fromB, fromC] = await Promise.all([b.recover(), c.recover()]);
    const resumed = [...fromB.resumed, ...fromC.resumed].map((r) => r.runId);
    expect(resumed.sort()).toEqual([...ids].sort());
    expect(new Set(resumed).size).toBe(resumed.length);
    const results = await Promise.all([...fromB.resumed, ...fromC.resumed].map((r) => r.result));
    expect(results.every((r) => r.status === 'completed')).toBe(true);
    await Promise.all([b.stop(), c.stop()]);
  });

  it('start() recovers on boot; a live process keeps its runs through heartbeats', async () => {
    const shared = new MemoryStorage();
    const clock = new ManualClock();
    const counter = new ExecutionCounter();
    // A live process with a run in flight (it hangs, but the process is alive and heartbeats).
    const live = new Engine({ storage: processView(shared), workflows: [createDurableWorkflow({ counter, crashAt: 'par/slow' })], clock, owner: 'live', leaseTtlMs: 30_000, recoverOnBoot: false, recoverEveryMs: 0 });
    await live.start();
    const run = live.workflow('durable').start({ message: 0 });
    for (let i = 0; i < 100 && counter.of('par/slow') === 0; i++) await flush();
    await clock.advance(95_000); // three lease lengths later: heartbeats every 10 s kept it alive
    expect((await shared.getRun(run.runId))?.leaseExpiresAt).toBeGreaterThan(clock.now());
    const other = new Engine({ storage: processView(shared), workflows: [createDurableWorkflow({ counter })], clock, owner: 'other', recoverEveryMs: 0 });
    expect((await other.start()).resumed).toEqual([]);
    await other.stop();
  });

  it('periodic recovery picks up a run whose process died after this one started', async () => {
    const shared = new MemoryStorage();
    const clock = new ManualClock();
    const engine = new Engine({ storage: processView(shared), workflows: [createDurableWorkflow({ counter: new ExecutionCounter() })], clock, owner: 'survivor', leaseTtlMs: 30_000 });
    expect((await engine.start()).resumed).toEqual([]);
    const [id] = await abandonRuns(shared, clock, 1);
    await clock.advance(30_000); // the first periodic pass: the dead run's lease has not expired yet
    expect((await shared.getRun(id!))?.status).toBe('running');
    await clock.advance(30_000);
    await vi.waitFor(async () => expect((await shared.getRun(id!))?.status).toBe('completed'));
    await engine.stop();
  });

  it('a run of a workflow this engine does not know is failed loudly, not left running forever', async () => {
    const shared = new MemoryStorage();
    const clock = new ManualClock();
    const [id] = await abandonRuns(shared, clock, 1);
    await clock.advance(30_001);
    const engine = new Engine({ storage: shared, workflows: [new Workflow({ name: 'something_else', steps: [new Step({ name: 's', executor: () => 1 })] })], clock, recoverEveryMs: 0 });
    const report = await engine.recover();
    expect(report.orphaned).toEqual([{ runId: id, workflowName: 'durable' }]);
    expect(await shared.getRun(id!)).toMatchObject({ status: 'error', error: { code: 'WORKFLOW_NOT_REGISTERED' } });
    expect(() => engine.workflow('durable')).toThrow(WorkflowNotRegisteredError);
  });

  it('stop() lets runs in flight finish', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const engine = new Engine({ storage: new MemoryStorage(), workflows: [new Workflow({ name: 'w', steps: [new Step({ name: 'wait', executor: () => gate.then(() => 'finished') })] })], recoverEveryMs: 0 });
    await engine.start();
    const handle = engine.workflow('w').start({ message: null });
    const stopping = engine.stop();
    release();
    await stopping;
    expect((await handle.result).content).toBe('finished');
  });

  it('refuses workflows with another storage and duplicate names; purges old finished runs', async () => {
    const storage = new MemoryStorage();
    const step = new Step({ name: 's', executor: () => 1 });
    expect(() => new Engine({ storage, workflows: [new Workflow({ name: 'w', storage: new MemoryStorage(), steps: [step] })] })).toThrow(InvalidOptionError);
    expect(() => new Engine({ storage, workflows: [new Workflow({ name: 'w', steps: [step] }), new Workflow({ name: 'w', steps: [step] })] })).toThrow(/Two workflows named "w"/);
    const clock = new ManualClock();
    const engine = new Engine({ storage, clock, workflows: { w: new Workflow({ name: 'w', steps: [step] }) }, recoverEveryMs: 0 });
    const old = await engine.workflow('w').run({ message: 1 });
    await clock.advance(10 * 24 * 3600 * 1000);
    const recent = await engine.workflow('w').run({ message: 2 });
    expect(await engine.purge({ olderThan: 7 * 24 * 3600 * 1000 })).toMatchObject({ runs: 1, stepResults: 1 });
    expect(await storage.getRun(old.runId)).toBeUndefined();
    expect((await storage.getRun(recent.runId))?.status).toBe('completed');
    await expect(engine.purge({ olderThan: -1 })).rejects.toThrow(/olderThan/);
  });
});
