import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, CronJobConfigError, SchedulerConfigError, UnknownCronJobError, type JobDefinition, type Scheduler } from '../../../src/cron/index.js';
import type { LeaseStorage } from '../../../src/cron/index.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import { SqliteStorage } from '../../../src/engine/storage/sqlite.js';
import { captureLogs } from './support.js';

const START = new Date('2026-03-02T10:00:00.000Z');
const MINUTE = 60_000;

/** A job run that waits until the test lets it finish. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function everyMinute(name: string, run: JobDefinition['run'], leaseMs = 2 * MINUTE): JobDefinition {
  return { name, schedule: '* * * * *', leaseMs, run };
}

let schedulers: Scheduler[] = [];
function track(scheduler: Scheduler): Scheduler {
  schedulers.push(scheduler);
  return scheduler;
}

beforeEach(() => {
  vi.useFakeTimers({ now: START });
});

afterEach(async () => {
  await Promise.all(schedulers.map((s) => s.stop()));
  schedulers = [];
  vi.useRealTimers();
});

describe('createScheduler: ticks', () => {
  it('runs a job on each cron tick once started, and not after stop', async () => {
    const ticks: number[] = [];
    const scheduler = track(createScheduler({ storage: new MemoryStorage(), owner: 'p1', jobs: [everyMinute('count', async ({ now }) => void ticks.push(now))] }));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(ticks.map((t) => new Date(t).toISOString())).toEqual(['2026-03-02T10:01:00.000Z', '2026-03-02T10:02:00.000Z', '2026-03-02T10:03:00.000Z']);
    await scheduler.stop();
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(ticks).toHaveLength(3);
  });

  it('never overlaps itself: ticks during a slow run are skipped, the next tick after it runs', async () => {
    const slow = gate();
    let started = 0;
    const scheduler = track(createScheduler({
      storage: new MemoryStorage(),
      owner: 'p1',
      jobs: [everyMinute('slow', async () => {
        started++;
        if (started === 1) await slow.opened;
      })],
    }));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(4 * MINUTE); // ticks at 10:01 (runs), 10:02, 10:03, 10:04 (still running)
    expect(started).toBe(1);
    expect(scheduler.status()[0]).toMatchObject({ running: true, skippedOverlap: 3, runs: 0 });
    expect(await scheduler.runNow('slow')).toMatchObject({ outcome: 'skipped', skipReason: 'overlap' });

    slow.open();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(started).toBe(2);
    expect(scheduler.status()[0]).toMatchObject({ running: false, runs: 2, lastOutcome: 'completed' });
  });

  it('with two processes on one storage, each tick runs once (the lease), and the survivor takes over when one stops', async () => {
    const storage = new MemoryStorage();
    const runs: string[] = [];
    const processA = track(createScheduler({ storage, owner: 'host-a:1', jobs: [everyMinute('shared', async () => void runs.push('a'))] }));
    const processB = track(createScheduler({ storage, owner: 'host-b:1', jobs: [everyMinute('shared', async () => void runs.push('b'))] }));
    processA.start();
    processB.start();
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(runs).toHaveLength(5);
    const skipped = processA.status()[0]!.skippedLease + processB.status()[0]!.skippedLease;
    expect(skipped).toBe(5);

    await processA.stop();
    runs.length = 0;
    await vi.advanceTimersByTimeAsync(3 * MINUTE);
    expect(runs).toEqual(['b', 'b', 'b']);
  });

  it('two processes with their own connections to one SQLite file also run each tick once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zapflow-cron-'));
    const storages = [new SqliteStorage({ dbFile: join(dir, 'zapflow.db') }), new SqliteStorage({ dbFile: join(dir, 'zapflow.db') })];
    try {
      for (const storage of storages) await storage.init();
      const runs: string[] = [];
      for (const [index, storage] of storages.entries()) {
        track(createScheduler({ storage, owner: `proc-${index}`, jobs: [everyMinute('shared', async () => void runs.push(`proc-${index}`))] })).start();
      }
      await vi.advanceTimersByTimeAsync(3 * MINUTE);
      expect(runs).toHaveLength(3);
    } finally {
      await Promise.all(schedulers.map((s) => s.stop()));
      for (const storage of storages) await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a slow run keeps its lease past leaseMs (renewed), so another process does not start the same job', async () => {
    const storage = new MemoryStorage();
    const slow = gate();
    const runs: string[] = [];
    const job = (owner: string) => everyMinute('long', async () => {
      runs.push(owner);
      if (owner === 'a') await slow.opened;
    }, MINUTE);
    const processA = track(createScheduler({ storage, owner: 'a', jobs: [job('a')] }));
    processA.start();
    await vi.advanceTimersByTimeAsync(MINUTE); // A starts its run at 10:01
    const processB = track(createScheduler({ storage, owner: 'b', jobs: [job('b')] }));
    processB.start();
    await vi.advanceTimersByTimeAsync(5 * MINUTE); // 5 leaseMs later, A is still running
    expect(runs).toEqual(['a']);
    expect(processB.status()[0]!.skippedLease).toBe(5);
    slow.open();
  });

  it('a failing job is logged with its name and counted, never crashes, and the next tick runs', async () => {
    const { logger, lines } = captureLogs();
    let calls = 0;
    const scheduler = track(createScheduler({
      storage: new MemoryStorage(),
      owner: 'p1',
      logger,
      jobs: [everyMinute('flaky', async () => {
        calls++;
        if (calls === 1) throw Object.assign(new Error('database went away'), { code: 'ECONNRESET' });
        return { done: 1 };
      })],
    }));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(scheduler.status()[0]).toMatchObject({ runs: 1, failures: 1, consecutiveFailures: 1, lastOutcome: 'failed', lastError: { code: 'ECONNRESET', message: 'database went away' } });
    const failure = lines.find((line) => line.level === 'error');
    expect(failure).toMatchObject({ job: 'flaky', msg: 'scheduled job failed', err: { message: 'database went away' } });

    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(calls).toBe(2);
    const status = scheduler.status()[0]!;
    expect(status).toMatchObject({ runs: 2, failures: 1, consecutiveFailures: 0, lastOutcome: 'completed', lastSummary: { done: 1 } });
    expect(status.lastError).toBeUndefined();
  });

  it('a run whose lease was taken by another process is stopped and reported as such', async () => {
    const memory = new MemoryStorage();
    let acquisitions = 0;
    // The first acquisition succeeds; every renewal finds the lease taken (a peer after a long stall here).
    const storage: LeaseStorage = {
      tryAcquireLease: async (...args) => (acquisitions++ === 0 ? memory.tryAcquireLease(...args) : false),
      releaseLease: (...args) => memory.releaseLease(...args),
    };
    const scheduler = track(createScheduler({
      storage,
      owner: 'p1',
      jobs: [{
        name: 'stalled',
        schedule: '0 0 1 1 *',
        leaseMs: 30_000,
        run: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error))),
      }],
    }));
    const report = scheduler.runNow('stalled');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await report).toMatchObject({ outcome: 'failed', error: { code: 'CRON_LEASE_LOST' } });
  });
});

describe('createScheduler: runNow and stop', () => {
  it('runNow runs a job behind the same guards and returns its summary; unknown names are refused', async () => {
    const storage = new MemoryStorage();
    const scheduler = track(createScheduler({ storage, owner: 'cli', jobs: [everyMinute('purge', async () => ({ rows: 3 }))] }));
    expect(await scheduler.runNow('purge')).toMatchObject({ job: 'purge', outcome: 'completed', summary: { rows: 3 } });
    // The lease is released right after a manual run: a second one is not blocked.
    expect(await scheduler.runNow('purge')).toMatchObject({ outcome: 'completed' });

    await storage.tryAcquireLease('cron:purge', 'server-process', Date.now() + MINUTE, Date.now());
    expect(await scheduler.runNow('purge')).toMatchObject({ outcome: 'skipped', skipReason: 'lease' });
    await expect(scheduler.runNow('nope')).rejects.toBeInstanceOf(UnknownCronJobError);
    await expect(scheduler.runNow('nope')).rejects.toThrow(/known jobs: purge/);
  });

  it('stop() aborts the running job’s signal and waits for it to end; later runs are refused', async () => {
    const slow = gate();
    let sawAbort = false;
    const scheduler = track(createScheduler({
      storage: new MemoryStorage(),
      owner: 'p1',
      jobs: [everyMinute('slow', async ({ signal }) => {
        await slow.opened;
        sawAbort = signal.aborted;
      })],
    }));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(MINUTE);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(10);
    expect(stopped).toBe(false);
    slow.open();
    await stopping;
    expect(sawAbort).toBe(true);
    expect(await scheduler.runNow('slow')).toMatchObject({ outcome: 'skipped', skipReason: 'stopped' });
  });
});

describe('createScheduler: configuration is checked at construction', () => {
  const run = async () => ({});
  const build = (job: Partial<JobDefinition>, owner = 'p1') =>
    () => createScheduler({ storage: new MemoryStorage(), owner, jobs: [{ name: 'job', schedule: '* * * * *', leaseMs: MINUTE, run, ...job }] });

  it('names the job and the problem', () => {
    expect(build({ schedule: '61 * * * *' })).toThrow(CronJobConfigError);
    expect(build({ schedule: 'every minute' })).toThrow(/"job" is misconfigured: schedule "every minute" is invalid/);
    expect(build({ timezone: 'Mars/Olympus' })).toThrow(/time zone "Mars\/Olympus" is unknown/);
    expect(build({ leaseMs: 0 })).toThrow(/leaseMs must be an integer/);
    expect(build({ name: 'Bad Name' })).toThrow(CronJobConfigError);
    expect(build({}, ' ')).toThrow(SchedulerConfigError);
    expect(() => createScheduler({ storage: new MemoryStorage(), owner: 'p1', jobs: [everyMinute('twin', run), everyMinute('twin', run)] })).toThrow(/names must be unique/);
  });

  it('errors carry stable codes', () => {
    try {
      build({ schedule: 'nope' })();
      expect.unreachable('an invalid schedule must throw');
    } catch (error) {
      expect((error as CronJobConfigError).code).toBe('CRON_JOB_INVALID');
    }
  });
});
