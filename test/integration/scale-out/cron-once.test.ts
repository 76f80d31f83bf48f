/**
 * Scheduled jobs fire once per cluster, not once per process: three `zapflow worker` processes on one Postgres
 * each schedule the SLA re-alert and idle-release jobs every 3 s (JOB_SCHEDULES); every tick is run by exactly
 * one of them — the others find its lease taken — and no tick goes unrun while the workers are up.
 *
 * Read from the workers' own logs: each run logs the tick it fired for (`tick`, the cron second), so peers that
 * fire the same tick log the same value.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeClaude, type FakeClaude } from '../../helpers/fake-claude.js';
import { startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';
import { ZapflowProcess, clusterEnv } from '../../helpers/scale-out-cluster.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../helpers/throwaway-postgres.js';
import { waitUntil } from '../../helpers/wait.js';

const EVERY_MS = 3000;
const JOBS = ['sla-realert', 'idle-release'];
const TICKS = 5;

interface JobLog { msg?: string; job?: string; tick?: string }

/** The jobs' run and skip entries a worker logged (one JSON object per line). */
function jobLogs(worker: ZapflowProcess): JobLog[] {
  return worker.output.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      const entry = JSON.parse(line) as JobLog;
      return entry.job && entry.tick ? [entry] : [];
    } catch {
      return []; // a line cut by a kill
    }
  });
}

describe('scheduled jobs on 3 worker processes', () => {
  let postgres: ThrowawayPostgres;
  let claude: FakeClaude;
  let meta: FakeProvider;
  let workers: ZapflowProcess[] = [];

  beforeAll(async () => {
    [postgres, claude, meta] = await Promise.all([startThrowawayPostgres(), startFakeClaude({ delayMs: 20 }), startFakeMeta({ phoneNumberId: '100000000000001' })]);
    const env = clusterEnv({
      databaseUrl: postgres.url, claudeBaseURL: claude.baseURL, metaGraphUrl: meta.url,
      // debug: a run that found nothing to do logs at debug, as does a tick skipped for a peer's lease.
      extra: { LOG_LEVEL: 'debug', JOB_SCHEDULES: JOBS.map((job) => `${job}=*/${EVERY_MS / 1000} * * * * *`).join(';') },
    });
    workers = [1, 2, 3].map((n) => new ZapflowProcess('worker', `cron-worker-${n}`, env));
    await Promise.all(workers.map((worker) => worker.start()));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.destroy()));
    await Promise.all([claude?.close(), meta?.close()]);
    await postgres?.destroy();
  }, 60_000);

  it('runs each tick of each job on exactly one worker, and every tick while they are up', async () => {
    const allUpAt = Date.now();
    const completed = (job: string) => workers.flatMap((worker, index) => jobLogs(worker)
      .filter((entry) => entry.job === job && entry.msg === 'scheduled job completed')
      .map((entry) => ({ tick: Date.parse(entry.tick!), worker: index })));
    await waitUntil(() => JOBS.every((job) => completed(job).filter((run) => run.tick > allUpAt).length >= TICKS), {
      what: `${TICKS} ticks of each job after all workers were up`, timeoutMs: 90_000, intervalMs: 250,
    });
    await Promise.all(workers.map((worker) => worker.stop()));

    for (const job of JOBS) {
      const runs = completed(job);
      const byTick = new Map<number, number[]>();
      for (const run of runs) byTick.set(run.tick, [...(byTick.get(run.tick) ?? []), run.worker]);
      const twice = [...byTick].filter(([, ranOn]) => ranOn.length > 1).map(([tick, ranOn]) => `${new Date(tick).toISOString()} on workers ${ranOn.join(', ')}`);
      expect(twice, `${job}: ticks run by more than one worker`).toEqual([]);

      // Every tick from the first one after all were up to the last one seen ran somewhere.
      const ticks = [...byTick.keys()].filter((tick) => tick > allUpAt).sort((a, b) => a - b);
      const missing: string[] = [];
      for (let tick = ticks[0]!; tick <= ticks.at(-1)!; tick += EVERY_MS) if (!byTick.has(tick)) missing.push(new Date(tick).toISOString());
      expect(missing, `${job}: ticks no worker ran`).toEqual([]);

      // The guard was exercised: peers fired the same ticks and stood aside.
      const skipped = workers.flatMap((worker) => jobLogs(worker).filter((entry) => entry.job === job && entry.msg?.includes('another process holds its lease')));
      expect(skipped.length, `${job}: ticks a worker skipped because a peer held the lease`).toBeGreaterThan(0);
      console.log(JSON.stringify({ job, ticksRun: byTick.size, runsPerWorker: [0, 1, 2].map((w) => runs.filter((run) => run.worker === w).length), skippedForAPeer: skipped.length }));
    }
  }, 150_000);
});
