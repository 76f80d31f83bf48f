import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDefaultJobs, createScheduler, idleReleaseJob, retentionJob, waitingExpiryJob, type RealertPort } from '../../../src/cron/index.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import type { RunRecord, RunStatus } from '../../../src/engine/storage/types.js';
import { captureLogs, serviceOnClock } from './support.js';

const DAY = 24 * 60 * 60_000;
const MINUTE = 60_000;
const NOW = Date.UTC(2026, 2, 2, 6, 30);

function run(runId: string, status: RunStatus, updatedAt: number): RunRecord {
  return { runId, workflowName: 'conversation-typification', sessionId: `s-${runId}`, status, input: { message: 'oi' }, initialState: {}, createdAt: updatedAt, updatedAt };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('retention job', () => {
  it('purges finished runs older than the retention age, keeps running and recent ones, and logs only counts', async () => {
    const storage = new MemoryStorage();
    const old = NOW - 91 * DAY;
    await storage.createRun(run('old-completed', 'completed', old));
    await storage.createRun(run('old-error', 'error', old));
    await storage.createRun(run('old-running', 'running', old));
    await storage.createRun(run('recent-completed', 'completed', NOW - 10 * DAY));
    await storage.appendEvents([{ runId: 'old-completed', seq: 0, type: 'WorkflowStarted', time: old }]);

    const service = serviceOnClock(() => old);
    await service.addConversation('meta:1:5511987654321');
    const [message] = await service.store.takePending('meta:1:5511987654321', 'old-completed', old);
    await service.store.markInbox([message!.id], 'done', old);

    const { logger, lines } = captureLogs();
    const scheduler = createScheduler({
      storage,
      owner: 'cli',
      logger,
      now: () => NOW,
      jobs: [retentionJob({ storage, serviceStore: service.store, retentionDays: 90 })],
    });
    const report = await scheduler.runNow('retention');

    expect(report).toMatchObject({ outcome: 'completed', summary: { runs: 2, events: 1, inbox: 1, conversations: 1 } });
    expect(await storage.getRun('old-completed')).toBeUndefined();
    expect(await storage.getRun('old-error')).toBeUndefined();
    expect(await storage.getRun('old-running')).toMatchObject({ status: 'running' });
    expect(await storage.getRun('recent-completed')).toMatchObject({ status: 'completed' });
    expect(await service.store.getConversation('meta:1:5511987654321')).toBeUndefined();
    expect(lines.find((line) => line.msg === 'retention purge done')).toMatchObject({ job: 'retention', retentionDays: 90, purged: { runs: 2, inbox: 1 } });
    expect(JSON.stringify(lines)).not.toContain('987654321');
  });

  it('refuses a retention age that is not a whole number of days', () => {
    const storage = new MemoryStorage();
    expect(() => retentionJob({ storage, serviceStore: serviceOnClock(() => 0).store, retentionDays: 0 })).toThrow(/RETENTION_DAYS/);
  });
});

describe('idle release job', () => {
  it('gives a human conversation nobody wrote in for the idle time back to the bot', async () => {
    let now = NOW;
    const service = serviceOnClock(() => now);
    await service.openHandoff('c-idle', 'P-1', 'high');
    await service.lifecycle.claim('c-idle', 'ana');
    await service.openHandoff('c-waiting', 'P-2', 'high');
    const scheduler = createScheduler({ storage: new MemoryStorage(), owner: 'p1', now: () => now, jobs: [idleReleaseJob({ lifecycle: service.lifecycle, idleMinutes: 120 })] });

    now += 119 * MINUTE;
    expect(await scheduler.runNow('idle-release')).toMatchObject({ summary: { released: 0 } });
    now += 2 * MINUTE;
    expect(await scheduler.runNow('idle-release')).toMatchObject({ summary: { released: 1 } });
    expect(await service.store.getConversation('c-idle')).toMatchObject({ handoffStatus: 'bot' });
    // Waiting for a person is the SLA job's business, not an idle conversation.
    expect(await service.store.getConversation('c-waiting')).toMatchObject({ handoffStatus: 'waiting_human' });
  });
});

describe('waiting expiry job', () => {
  it('gives a handoff nobody took within the configured hours back to the bot; a customer who keeps writing extends it', async () => {
    let now = NOW;
    const service = serviceOnClock(() => now);
    await service.openHandoff('c-forgotten', 'P-1', 'high');
    await service.openHandoff('c-insisting', 'P-2', 'high');
    await service.openHandoff('c-claimed', 'P-3', 'high');
    await service.lifecycle.claim('c-claimed', 'ana');
    const scheduler = createScheduler({ storage: new MemoryStorage(), owner: 'p1', now: () => now, jobs: [waitingExpiryJob({ lifecycle: service.lifecycle, expireHours: 24 })] });

    now += 23 * 60 * MINUTE;
    await service.lifecycle.customerWrote('c-insisting');
    expect(await scheduler.runNow('waiting-expiry')).toMatchObject({ summary: { expired: 0 } });
    now += 2 * 60 * MINUTE;
    expect(await scheduler.runNow('waiting-expiry')).toMatchObject({ summary: { expired: 1 } });
    expect(await service.store.getConversation('c-forgotten')).toMatchObject({ handoffStatus: 'bot' });
    expect(await service.store.getConversation('c-insisting')).toMatchObject({ handoffStatus: 'waiting_human' });
    expect(await service.store.getConversation('c-claimed')).toMatchObject({ handoffStatus: 'human' });
  });

  it('refuses a non-positive expiry', () => {
    expect(() => waitingExpiryJob({ lifecycle: serviceOnClock(() => 0).lifecycle, expireHours: 0 })).toThrow(/HUMAN_WAIT_EXPIRE_HOURS/);
  });
});

describe('createDefaultJobs', () => {
  it('schedules SLA every minute, idle release every 5 minutes and retention daily at 03:30 São Paulo', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-02T10:00:30.000Z') });
    const service = serviceOnClock(() => Date.now());
    const storage = new MemoryStorage();
    const jobs = createDefaultJobs({ storage, serviceStore: service.store, lifecycle: service.lifecycle, realert: async () => {}, sla: { minutes: { critical: 5, high: 15, medium: 60, low: 240 }, raiseUrgencyAfter: 2 }, retentionDays: 90, idleReleaseMinutes: 120 });
    const scheduler = createScheduler({ storage, owner: 'p1', jobs });
    scheduler.start();
    try {
      const next = Object.fromEntries(scheduler.status().map((s) => [s.name, new Date(s.nextRunAt ?? 0).toISOString()]));
      expect(next).toEqual({
        'sla-realert': '2026-03-02T10:01:00.000Z',
        'idle-release': '2026-03-02T10:05:00.000Z',
        'waiting-expiry': '2026-03-02T10:05:00.000Z',
        retention: '2026-03-03T06:30:00.000Z', // 03:30 in São Paulo (UTC−3)
      });
    } finally {
      await scheduler.stop();
    }
  });

  it('left running, re-alerts a waiting high-urgency handoff at 15 and 30 minutes', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-02T10:00:00.000Z') });
    const service = serviceOnClock(() => Date.now());
    const storage = new MemoryStorage();
    const realerts: number[] = [];
    const realert: RealertPort = async (_conversation, realertNumber) => void realerts.push(realertNumber);
    await service.openHandoff('c-1', 'P-1', 'high');
    const jobs = createDefaultJobs({ storage, serviceStore: service.store, lifecycle: service.lifecycle, realert, sla: { minutes: { critical: 5, high: 15, medium: 60, low: 240 }, raiseUrgencyAfter: 5 }, retentionDays: 90, idleReleaseMinutes: 120 });
    const scheduler = createScheduler({ storage, owner: 'p1', jobs });
    scheduler.start();
    try {
      await vi.advanceTimersByTimeAsync(14 * MINUTE);
      expect(realerts).toEqual([]);
      await vi.advanceTimersByTimeAsync(MINUTE);
      expect(realerts).toEqual([1]);
      await vi.advanceTimersByTimeAsync(15 * MINUTE);
      expect(realerts).toEqual([1, 2]);
      expect(scheduler.status().find((s) => s.name === 'sla-realert')).toMatchObject({ runs: 30, failures: 0 });
    } finally {
      await scheduler.stop();
    }
  });
});
