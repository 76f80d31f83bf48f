import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Metrics, createMetrics, stepLabel, webhookResultOf } from '../../../src/http/metrics.js';
import { buildEvolutionTextWebhook, buildMetaTextWebhook, createWebhookRouter } from '../../../src/webhooks/index.js';

const META_SECRET = 'meta-app-secret-123';
const EVOLUTION_SECRET = 'evolution-secret-123';

describe('metrics', () => {
  let server: Server;
  let base: string;
  let metrics: Metrics;

  beforeAll(async () => {
    metrics = createMetrics();
    const app = express();
    // Before the webhook router: its rejections (401/400/413) never reach application code.
    app.use(metrics.webhookMetricsMiddleware);
    app.use(createWebhookRouter({
      meta: { appSecret: META_SECRET, verifyToken: 'verify-token-123' },
      evolution: { secret: EVOLUTION_SECRET, bodyLimit: 2048 },
      accept: async () => {},
    }));
    app.get('/metrics', metrics.metricsHandler);
    server = await new Promise<Server>((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  });

  const post = async (path: string, headers: Record<string, string>, body: Buffer | string): Promise<number> =>
    (await fetch(`${base}${path}`, { method: 'POST', headers, body })).status;

  const scrape = async (): Promise<{ type: string | null; text: string }> => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    return { type: response.headers.get('content-type'), text: await response.text() };
  };

  it('counts webhooks by provider and result from the answers actually sent', async () => {
    const meta = buildMetaTextWebhook({ appSecret: META_SECRET, from: '5511987654321', text: 'oi' });
    expect(await post(meta.path, meta.headers, meta.body)).toBe(200);
    expect(await post(meta.path, { ...meta.headers, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` }, meta.body)).toBe(401);

    const evolution = buildEvolutionTextWebhook({ secret: EVOLUTION_SECRET, instance: 'atendimento', from: '5511987654321', text: 'oi' });
    expect(await post(evolution.path, evolution.headers, evolution.body)).toBe(200);
    expect(await post(evolution.path, evolution.headers, evolution.body)).toBe(200);
    expect(await post(evolution.path, { ...evolution.headers, apikey: 'wrong-secret-000' }, evolution.body)).toBe(401);
    expect(await post(evolution.path, evolution.headers, '{"event":')).toBe(400);
    expect(await post(evolution.path, evolution.headers, `{"pad":"${'x'.repeat(4096)}"}`)).toBe(413);
    // The Meta handshake is not a delivery: not counted.
    await fetch(`${base}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-token-123&hub.challenge=42`);

    const { text } = await scrape();
    expect(text).toContain('zapflow_webhooks_received_total{provider="meta",result="accepted"} 1');
    expect(text).toContain('zapflow_webhooks_received_total{provider="meta",result="unauthorized"} 1');
    expect(text).toContain('zapflow_webhooks_received_total{provider="evolution",result="accepted"} 2');
    expect(text).toContain('zapflow_webhooks_received_total{provider="evolution",result="unauthorized"} 1');
    expect(text).toContain('zapflow_webhooks_received_total{provider="evolution",result="malformed"} 1');
    expect(text).toContain('zapflow_webhooks_received_total{provider="evolution",result="too_large"} 1');
    // Ack latency is observed for acknowledgements only.
    expect(text).toContain('zapflow_webhook_ack_seconds_count{provider="meta"} 1');
    expect(text).toContain('zapflow_webhook_ack_seconds_count{provider="evolution"} 2');
    expect(text).toMatch(/zapflow_webhook_ack_seconds_bucket\{le="0\.001",provider="meta"\} \d/);
  });

  it('exposes runs, step latency, outbox and handoff gauges, and process metrics, in Prometheus text format', async () => {
    metrics.workflowRuns.inc({ workflow: 'conversation-typification', status: 'completed' });
    metrics.workflowRuns.inc({ workflow: 'human-handoff', status: 'error' });
    metrics.stepSeconds.observe({ workflow: 'conversation-typification', step: stepLabel('classify/#3/classify_motive') }, 0.2);
    metrics.setOutboxCounts(async () => ({ pending: 3, dead: 2 }));
    metrics.setHandoffsWaiting(() => 4);

    const { type, text } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE zapflow_workflow_runs_total counter');
    expect(text).toContain('zapflow_workflow_runs_total{workflow="conversation-typification",status="completed"} 1');
    expect(text).toContain('zapflow_workflow_runs_total{workflow="human-handoff",status="error"} 1');
    expect(text).toContain('# TYPE zapflow_step_duration_seconds histogram');
    expect(text).toContain('zapflow_step_duration_seconds_count{workflow="conversation-typification",step="classify/#/classify_motive"} 1');
    expect(text).toContain('zapflow_outbox_pending 3');
    expect(text).toContain('zapflow_outbox_dead 2');
    expect(text).toContain('zapflow_handoffs_waiting 4');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('keeps serving the last gauge values when a count callback fails', async () => {
    metrics.setOutboxCounts(() => Promise.reject(new Error('database down')));
    metrics.setHandoffsWaiting(() => {
      throw new Error('database down');
    });
    const { text } = await scrape();
    expect(text).toContain('zapflow_outbox_pending 3');
    expect(text).toContain('zapflow_handoffs_waiting 4');
  });

  it('reads stored-state gauges once per cache period however many scrape, and never makes a scrape wait for a slow read', async () => {
    const cached = createMetrics({ defaultMetrics: false, stateCacheMs: 60_000 });
    let reads = 0;
    cached.setHandoffsWaiting(async () => ++reads);
    const texts = await Promise.all(Array.from({ length: 8 }, () => cached.registry.metrics()));
    expect(reads).toBe(1);
    for (const text of texts) expect(text).toContain('zapflow_handoffs_waiting 1');

    const stale = createMetrics({ defaultMetrics: false, stateCacheMs: 1 });
    let release: (value: number) => void = () => {};
    let slow = false;
    stale.setHandoffsWaiting(() => (slow ? new Promise<number>((resolve) => (release = resolve)) : 7));
    expect(await stale.registry.metrics()).toContain('zapflow_handoffs_waiting 7');
    slow = true;
    await new Promise((resolve) => setTimeout(resolve, 5));
    // The read under way hangs (a busy database): the scrape answers with the last value at once.
    expect(await stale.registry.metrics()).toContain('zapflow_handoffs_waiting 7');
    release(9);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await stale.registry.metrics()).toMatch(/zapflow_handoffs_waiting (7|9)/);
  });

  it('keeps each service on its own registry', () => {
    const other = createMetrics({ defaultMetrics: false });
    expect(other.registry).not.toBe(metrics.registry);
    other.workflowRuns.inc({ workflow: 'x', status: 'completed' });
    expect(metrics.registry.getSingleMetric('zapflow_workflow_runs_total')).toBe(metrics.workflowRuns);
  });

  it('maps statuses to a bounded set of results', () => {
    expect([200, 204, 400, 401, 403, 404, 413, 415, 500, 503].map(webhookResultOf)).toEqual([
      'accepted', 'accepted', 'malformed', 'unauthorized', 'unauthorized', 'rejected', 'too_large', 'unsupported_encoding', 'error', 'unavailable',
    ]);
  });
});
