/**
 * The service as `zapflow serve` runs it: conversation turns in the processing worker thread, webhooks
 * acked by the request thread. What a customer, an agent and an admin see must not depend on where the
 * turns run: answers, handoff alerts, admin runs and reruns (with the same errors), metrics, shutdown.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSelfServiceContent } from '../../../src/service/replies.js';
import { PROTOCOL_PATTERN } from '../../../src/workflows/shared/protocol.js';
import { AGENTS, sentTo, startService, type TestService } from '../../helpers/service.js';

const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const content = loadSelfServiceContent();
const replies = new Set([...Object.values(content.answers), ...Object.values(content.clarifyingQuestions), content.fallbackQuestion]);

let service: TestService;
beforeAll(async () => {
  service = await startService({}, { processing: 'thread' });
});
afterAll(async () => service.stop());

async function textsTo(phone: string): Promise<string[]> {
  return sentTo(await service.sent(), phone).map((r) => r.text ?? '');
}

describe('processing in a worker thread', () => {
  it('runs there, so the request thread is only told which conversations have new messages', () => {
    expect(service.app.processing.mode).toBe('thread');
  });

  it('answers customers from both providers, once per message even when redelivered', async () => {
    const pix = service.meta('5511900000301', 'como faço para cadastrar uma chave pix aleatória?');
    expect((await service.post(pix)).status).toBe(200);
    expect((await service.post(pix)).status).toBe(200);
    expect((await service.post(service.evolution('5511900000302', 'qual a taxa da maquininha no crédito parcelado?'))).status).toBe(200);
    await service.app.settle();
    for (const phone of ['5511900000301', '5511900000302']) {
      const texts = await textsTo(phone);
      expect(texts).toHaveLength(1);
      expect(replies.has(texts[0]!)).toBe(true);
    }
  });

  it('hands a fraud report to the agents with a protocol number, and the request thread sees the new state', async () => {
    await service.post(service.meta('5511900000303', 'clonaram meu cartão, tem 3 compras que eu não fiz!', { name: 'Rui Teste' }));
    await service.app.settle();
    const response = await service.admin(`/admin/conversations/${encodeURIComponent('meta:100000000000002:5511900000303')}`);
    const view = (await response.json()) as { handoff: { status: string }; protocolNumbers: string[] };
    expect(view.handoff.status).toBe('waiting_human');
    const protocol = view.protocolNumbers.at(-1)!;
    expect(protocol).toMatch(PROTOCOL_PATTERN);
    expect((await textsTo('5511900000303'))[0]).toContain(protocol);
    for (const agent of AGENTS) expect((await textsTo(agent)).some((t) => t.includes(`Protocolo: ${protocol}`))).toBe(true);
  });

  it('starts admin runs and reruns there, and refuses an unknown step with the same 400 and valid steps', async () => {
    const { runs } = await service.app.storage.listRuns({ workflowName: 'conversation-typification', limit: 1 });
    const original = runs[0]!;
    const rerun = await service.admin(`/admin/runs/${original.runId}/rerun`, { method: 'POST', body: { fromStep: 'product_classification' } });
    expect(rerun.status).toBe(202);
    const { runId } = (await rerun.json()) as { runId: string };
    const started = await service.admin('/admin/workflows/conversation-typification/run', {
      method: 'POST',
      body: { conversationKey: 'meta:100000000000002:5511900000304', message: 'quero aumentar o limite do cartão' },
    });
    expect(started.status).toBe(202);
    const startedRunId = ((await started.json()) as { runId: string }).runId;
    for (let i = 0; i < 100; i++) {
      const [a, b] = await Promise.all([service.app.storage.getRun(runId), service.app.storage.getRun(startedRunId)]);
      if (a?.status === 'completed' && b?.status === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await service.app.storage.getRun(runId)).toMatchObject({ status: 'completed', parentRunId: original.runId });
    expect(await service.app.storage.getRun(startedRunId)).toMatchObject({ status: 'completed' });

    const bad = await service.admin(`/admin/runs/${original.runId}/rerun`, { method: 'POST', body: { fromStep: 'nope' } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { code: string; validSteps: string[] };
    expect(body.code).toBe('UNKNOWN_STEP');
    expect(body.validSteps).toContain('business_unit_classification');
  });

  it('acks a webhook while another connection holds the database file\'s write lock, and answers it once the lock is free', async () => {
    // The processing thread's commit window, a backup, an admin's transaction: the acks are committed to the
    // intake spool, a file of their own, so none of them holds a webhook back.
    const holder = new Sqlite(join(service.dataDir, 'zapflow.db'), { timeout: 10_000 });
    holder.prepare('BEGIN IMMEDIATE').run();
    try {
      expect((await service.post(service.meta('5511900000305', 'meu pix não caiu na conta'))).status).toBe(200);
    } finally {
      holder.prepare('ROLLBACK').run();
      holder.close();
    }
    await service.app.settle();
    expect(await textsTo('5511900000305')).toHaveLength(1);
  });

  it('counts the runs it finished in the request thread\'s /metrics, and is ready when its MCP client is', async () => {
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    const completed = /zapflow_workflow_runs_total\{workflow="conversation-typification",status="completed"\} (\d+)/.exec(metrics);
    expect(Number(completed?.[1])).toBeGreaterThanOrEqual(3);
    expect(metrics).toMatch(/zapflow_step_duration_seconds_count\{workflow="conversation-typification",step="[^"]+"\} [1-9]/);
    const ready = await fetch(`${service.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
