/**
 * `/metrics` behind METRICS_TOKEN: anyone else gets 401; the bearer gets the gauges operators alert on
 * (MCP availability, handoffs waiting, outbox depth and dead rows).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type TestService } from '../../helpers/service.js';

const METRICS_TOKEN = 'metrics-token-for-tests-0123';
let service: TestService;
beforeAll(async () => {
  service = await startService({ METRICS_TOKEN });
});
afterAll(async () => service?.stop());

describe('/metrics with METRICS_TOKEN', () => {
  it('refuses scrapers without the token and serves the gauges to its bearer', async () => {
    const anonymous = await fetch(`${service.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).toContain('METRICS_TOKEN');
    expect((await fetch(`${service.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(403);

    const scraped = await fetch(`${service.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toContain('zapflow_mcp_available 1');
    expect(text).toContain('zapflow_handoffs_waiting 0');
    expect(text).toContain('zapflow_outbox_dead 0');
  });
});
