import { describe, expect, it } from 'vitest';
import { createScheduler, slaRealertJob, type RealertPort, type SlaPolicy } from '../../../src/cron/index.js';
import type { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import { captureLogs, serviceOnClock } from './support.js';

const T0 = Date.UTC(2026, 2, 2, 12, 50); // 09:50 in São Paulo
const MINUTE = 60_000;
const SLA: SlaPolicy = { minutes: { critical: 5, high: 15, medium: 60, low: 240 }, raiseUrgencyAfter: 2 };

interface SentRealert { protocol: string; realert: number; urgency: string | undefined }

/**
 * The SLA job on an injected clock, with a realert port that does what the app does: enqueue an outbox row
 * keyed `realert:<protocol>:<n>` (the outbox drops a second row with the same key).
 */
function setup(options: { sla?: SlaPolicy; lifecycle?: (real: ConversationLifecycle) => Pick<ConversationLifecycle, 'realerted'>; failFor?: Set<string> } = {}) {
  let now = T0;
  const clock = () => now;
  const service = serviceOnClock(clock);
  const storage = new MemoryStorage();
  const sent: SentRealert[] = [];
  const realert: RealertPort = async (conversation, realertNumber) => {
    if (options.failFor?.has(conversation.protocolNumber ?? '')) throw new Error('outbox unavailable');
    sent.push({ protocol: conversation.protocolNumber ?? '?', realert: realertNumber, urgency: conversation.urgency });
    await storage.enqueueOutbox([{ key: `realert:${conversation.protocolNumber}:${realertNumber}`, topic: 'agent_alert', payload: { realert: realertNumber } }], clock());
  };
  const { logger, lines } = captureLogs();
  const job = slaRealertJob({ serviceStore: service.store, lifecycle: options.lifecycle?.(service.lifecycle) ?? service.lifecycle, sla: options.sla ?? SLA, realert });
  const scheduler = createScheduler({ storage, owner: 'test', jobs: [job], now: clock, logger });
  return {
    ...service,
    storage,
    sent,
    lines,
    /** Moves the clock to T0 + `minutes` and runs the job once, as a tick would. */
    runAt: async (minutes: number) => {
      now = T0 + minutes * MINUTE;
      return scheduler.runNow('sla-realert');
    },
  };
}

describe('SLA re-alert job', () => {
  it('re-alerts a waiting handoff when its urgency limit is reached, and not before', async () => {
    const t = setup();
    await t.openHandoff('meta:1:5511900000001', 'P-CRIT', 'critical');
    await t.runAt(4);
    await t.runAt(4.99);
    expect(t.sent).toEqual([]);
    const report = await t.runAt(5);
    expect(t.sent).toEqual([{ protocol: 'P-CRIT', realert: 1, urgency: 'critical' }]);
    expect(report).toMatchObject({ outcome: 'completed', summary: { waiting: 1, realerted: 1, failed: 0 } });
    expect(await t.store.getConversation('meta:1:5511900000001')).toMatchObject({ realerts: 1, lastAlertAt: T0 + 5 * MINUTE });
  });

  it('re-alerts once per interval even though it runs every minute', async () => {
    const t = setup();
    await t.openHandoff('c-high', 'P-HIGH', 'high'); // waiting since 09:50, limit 15 min
    for (let minute = 1; minute <= 29; minute++) await t.runAt(minute);
    // 10:05 (first limit) and 10:20 (15 min after the re-alert at 10:05), nothing in between.
    expect(t.sent.map((s) => s.realert)).toEqual([1]);
    await t.runAt(30);
    expect(t.sent.map((s) => s.realert)).toEqual([1, 2]);
    const alerts = await t.storage.listOutbox({});
    expect(alerts.map((row) => row.key)).toEqual(['realert:P-HIGH:1', 'realert:P-HIGH:2']);
  });

  it('raises the urgency after N re-alerts, and the shorter limit applies from then on', async () => {
    const t = setup(); // raise after 2; medium 60 min, high 15 min
    await t.openHandoff('c-med', 'P-MED', 'medium');
    await t.runAt(60);
    await t.runAt(120);
    expect(await t.store.getConversation('c-med')).toMatchObject({ realerts: 2, urgency: 'high' });
    await t.runAt(134);
    expect(t.sent).toHaveLength(2);
    await t.runAt(135); // 15 min after the 2nd re-alert, not 60
    expect(t.sent.at(-1)).toEqual({ protocol: 'P-MED', realert: 3, urgency: 'high' });
    const report = await t.runAt(150);
    expect(report.summary).toMatchObject({ realerted: 1, urgencyRaised: 1 });
    expect(await t.store.getConversation('c-med')).toMatchObject({ realerts: 4, urgency: 'critical' });
  });

  it('never re-alerts a conversation an agent took (human) or the bot handles', async () => {
    const t = setup();
    await t.openHandoff('c-claimed', 'P-CLAIMED', 'critical');
    await t.lifecycle.claim('c-claimed', 'ana');
    await t.addConversation('c-bot');
    await t.openHandoff('c-waiting', 'P-WAITING', 'low');
    await t.runAt(24 * 60);
    expect(t.sent.map((s) => s.protocol)).toEqual(['P-WAITING']);
  });

  it('never re-alerts a handoff made behind Chatwoot: its agents and SLAs are Chatwoot\'s', async () => {
    const t = setup();
    await t.openHandoff('chatwoot:3:58', 'P-CW', 'critical');
    await t.openHandoff('meta:1:5511900000009', 'P-META', 'critical');
    await t.runAt(30);
    expect(t.sent.map((s) => s.protocol)).toEqual(['P-META']);
    expect(await t.store.getConversation('chatwoot:3:58')).toMatchObject({ realerts: 0, handoffStatus: 'waiting_human' });
  });

  it('a failing re-alert does not stop the others; it is retried with the same number on the next tick', async () => {
    const failFor = new Set(['P-A']);
    const t = setup({ failFor });
    await t.openHandoff('c-a', 'P-A', 'critical');
    await t.openHandoff('c-b', 'P-B', 'critical');
    const report = await t.runAt(5);
    expect(report).toMatchObject({ outcome: 'failed', error: { code: 'CRON_JOB_PARTIAL_FAILURE' } });
    expect(t.sent.map((s) => s.protocol)).toEqual(['P-B']);
    expect(await t.store.getConversation('c-a')).toMatchObject({ realerts: 0 });
    expect(t.lines.find((line) => line.msg.startsWith('SLA re-alert failed'))).toMatchObject({ level: 'error', protocolNumber: 'P-A' });

    failFor.clear();
    await t.runAt(6);
    expect(t.sent.map((s) => `${s.protocol}#${s.realert}`)).toEqual(['P-B#1', 'P-A#1']);
  });

  it('a crash between sending and counting re-sends the same re-alert number, which the outbox keeps once', async () => {
    let crashes = 1;
    const t = setup({
      lifecycle: (real) => ({
        realerted: async (key, raiseAfter) => {
          if (crashes-- > 0) throw new Error('process died before counting the re-alert');
          return real.realerted(key, raiseAfter);
        },
      }),
    });
    await t.openHandoff('c-crash', 'P-CRASH', 'critical');
    await t.runAt(5);
    await t.runAt(6);
    expect(t.sent.map((s) => s.realert)).toEqual([1, 1]);
    expect((await t.storage.listOutbox({})).map((row) => row.key)).toEqual(['realert:P-CRASH:1']);
    expect(await t.store.getConversation('c-crash')).toMatchObject({ realerts: 1 });
  });

  it('logs protocol numbers, never the customer’s phone number', async () => {
    const t = setup();
    await t.openHandoff('meta:100000000000002:5511987654321', 'P-LOG', 'critical');
    await t.runAt(5);
    const written = JSON.stringify(t.lines);
    expect(written).toContain('P-LOG');
    expect(written).not.toContain('987654321');
  });

  it('refuses a policy it cannot apply, naming the setting', () => {
    const build = (sla: SlaPolicy) => () => slaRealertJob({ serviceStore: serviceOnClock(() => 0).store, lifecycle: serviceOnClock(() => 0).lifecycle, sla, realert: async () => {} });
    expect(build({ ...SLA, minutes: { ...SLA.minutes, high: 0 } })).toThrow(/SLA_HIGH_MINUTES/);
    expect(build({ ...SLA, raiseUrgencyAfter: 0 })).toThrow(/SLA_RAISE_URGENCY_AFTER/);
  });
});
