/**
 * What agents and customers receive from a handoff, across reruns, failures of the alert channel, and on
 * Postgres: one alert and one acknowledgement per handoff, never lost, never doubled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from '../../../src/service/outbox-dispatcher.js';
import { whatsAppDeliverers } from '../../../src/service/outbox-deliverers.js';
import { MemoryStorage, PostgresStorage, type RunResult, type Storage } from '../../../src/engine/index.js';
import { WhatsAppMcpError } from '../../../src/mcp/errors.js';
import type { TypificationOutcome } from '../../../src/workflows/conversation-typification/steps.js';
import type { HandoffOutcome } from '../../../src/workflows/human-handoff/steps.js';
import type { AgentAlert, Notifier } from '../../../src/service/ports.js';
import { createWorkflows } from '../../../src/workflows/registry.js';
import { ManualClock } from '../../helpers/mcp-clock.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';
import { embeddedModel, withLevelConfidence, workflowDeps } from '../../helpers/workflow-deps.js';

const turn = (text: string) => ({ messages: [{ role: 'customer' as const, text }] });
const FRAUD = 'fizeram um pix de 3 mil da minha conta que eu não reconheço, invadiram minha conta!!';

async function alertsOf(storage: Storage, conversationKey: string) {
  const rows = await storage.listOutbox({ limit: 500 });
  return rows.filter((r) => r.topic === 'agent_alert' && (r.payload as AgentAlert).conversationKey === conversationKey);
}

describe('rerun of a typification that handed over', () => {
  it('from product_classification keeps the business unit, the protocol, and sends no second alert', async () => {
    const storage = new MemoryStorage();
    const { 'conversation-typification': wf } = createWorkflows(workflowDeps(storage, { classifier: withLevelConfidence(embeddedModel(), 0.3) }));
    const key = 'test:rerun';
    // Two unclear turns in a row hand over (a greeting, or a product named alone, does not count as one: it gets a
    // question instead).
    await wf.run({ message: turn('tenho uma dúvida sobre uma cobrança'), sessionId: key });
    const original = await wf.run({ message: turn('é sobre uma cobrança na fatura do meu cartão'), sessionId: key });
    const originalOutcome = original.content as TypificationOutcome;
    expect((originalOutcome.handoff as HandoffOutcome).escalated).toBe(true);
    expect(await alertsOf(storage, key)).toHaveLength(1);

    const rerun: RunResult = await wf.rerun(original.runId, { fromStep: 'product_classification' });
    expect(rerun.status).toBe('completed');
    const rerunOutcome = rerun.content as TypificationOutcome;
    const executed = rerun.events.filter((e) => e.type === 'StepStarted').map((e) => e.stepPath);
    expect(executed).not.toContain('business_unit_classification');
    expect(executed).toContain('product_classification');
    expect(rerun.metrics.stepsReused).toBeGreaterThanOrEqual(1);
    expect((rerun.sessionState as { classification?: { businessUnit?: unknown } }).classification?.businessUnit)
      .toEqual((original.sessionState as { classification?: { businessUnit?: unknown } }).classification?.businessUnit);
    // The reused business unit is the one the rerun's later levels build on: a full path under it.
    expect(rerunOutcome.path).not.toBeNull();
    expect(rerunOutcome.path!.businessUnit).toBe(originalOutcome.path!.businessUnit);
    expect(rerun.events.find((e) => e.type === 'StepCompleted' && e.stepPath === 'product_classification')?.data).toMatchObject({ content: { level: 'product', id: originalOutcome.path!.product } });
    expect(rerunOutcome.protocolNumber).toBe(originalOutcome.protocolNumber);
    expect(await alertsOf(storage, key)).toHaveLength(1);
    expect((await storage.getRun(rerun.runId))?.parentRunId).toBe(original.runId);
  });
});

describe('an alert channel that fails', () => {
  it('does not lose the alert: the outbox retries with backoff until it is delivered, exactly once', async () => {
    const storage = new MemoryStorage();
    const { 'human-handoff': wf } = createWorkflows(workflowDeps(storage));
    const result = await wf.run({ message: turn(FRAUD), sessionId: 'test:notifier-down' });
    expect(result.status).toBe('completed');
    expect((result.content as HandoffOutcome).escalated).toBe(true);

    let failures = 2;
    const delivered: AgentAlert[] = [];
    const notifier: Notifier = {
      async sendAgentAlert(alert) {
        if (failures-- > 0) throw new WhatsAppMcpError('PROVIDER_UNAVAILABLE', 'WhatsApp provider answered 503', true);
        delivered.push(alert);
        return { deliveries: [{ recipient: '5511900000090', messageId: `wamid.FAKE.${delivered.length}`, status: 'accepted' }] };
      },
    };
    const messenger = { sendToCustomer: async () => ({ messageId: 'wamid.FAKE.ack' }) };
    const clock = new ManualClock(Date.now());
    const outbox = new OutboxDispatcher({ storage, deliverers: whatsAppDeliverers({ notifier, messenger }), clock, random: () => 0.5 });
    for (let round = 0; round < 10 && delivered.length === 0; round++) {
      await outbox.drain();
      clock.advance(60_000);
    }
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.protocolNumber).toBe((result.content as HandoffOutcome).protocolNumber);
    const [row] = await alertsOf(storage, 'test:notifier-down');
    expect(row).toMatchObject({ status: 'delivered', attempts: 3 });
    await outbox.drain();
    expect(delivered).toHaveLength(1);
  });
});

describe('on Postgres', () => {
  let schema: TestSchema;
  let storage: PostgresStorage;
  beforeAll(async () => {
    schema = await freshSchema('workflows');
    storage = new PostgresStorage({ dbUrl: schema.databaseUrl, schema: schema.schema });
    await storage.init();
  });
  afterAll(async () => {
    await storage.close();
    await schema.drop();
  });

  it('typifies and hands a fraud report over, with the protocol in the alert', async () => {
    const workflows = createWorkflows(workflowDeps(storage));
    const key = 'meta:100000000000002:5511900000007';
    const typification = await workflows['conversation-typification'].run({ message: turn(FRAUD), sessionId: key });
    const outcome = typification.content as TypificationOutcome;
    expect(outcome.path?.businessUnit).toBe('digital_account');
    const handoff = await workflows['human-handoff'].run({ message: turn(FRAUD), sessionId: key, additionalData: { protocolNumber: outcome.protocolNumber } });
    expect(handoff.content).toMatchObject({ escalated: true, reason: 'security_concern', protocolNumber: outcome.protocolNumber });
    const [alert] = await alertsOf(storage, key);
    expect((alert!.payload as AgentAlert).text).toContain(outcome.protocolNumber);
    expect((await storage.getSession(key))?.state).toMatchObject({ contacts: 1, protocolNumbers: [outcome.protocolNumber] });
  });
});
