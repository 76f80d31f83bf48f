/** McpNotifier and McpCustomerMessenger over a recording stand-in for the MCP client. */
import { describe, expect, it } from 'vitest';
import { addressFromConversationKey, McpCustomerMessenger } from '../../../src/mcp/client/customer-messenger.js';
import { McpNotifier, recipientKey } from '../../../src/mcp/client/notifier.js';
import type { TextMessageSender } from '../../../src/mcp/client/notifier.js';
import { NotificationDeliveryError, WhatsAppConfigError, WhatsAppMcpError } from '../../../src/mcp/errors.js';
import type { SendTextInput, SendTextResult } from '../../../src/mcp/server/text-message-service.js';
import type { AgentAlert } from '../../../src/service/ports.js';

/** Sends succeed once per idempotency key (like the server), except for numbers in `failing`. */
class RecordingSender implements TextMessageSender {
  readonly calls: SendTextInput[] = [];
  private readonly sent = new Map<string, string>();
  constructor(public failing = new Map<string, WhatsAppMcpError>()) {}
  async sendTextMessage(input: SendTextInput): Promise<SendTextResult> {
    this.calls.push(input);
    const failure = this.failing.get(input.number);
    if (failure) throw failure;
    const key = input.idempotencyKey ?? String(this.calls.length);
    const deduplicated = this.sent.has(key);
    if (!deduplicated) this.sent.set(key, `wamid.${this.sent.size + 1}`);
    const messageId = this.sent.get(key) as string;
    return { messageId, messageIds: [messageId], status: 'accepted', provider: 'meta', deduplicated };
  }
  get messagesSent(): number {
    return this.sent.size;
  }
}

const alert: AgentAlert = { protocolNumber: '2026000123', conversationKey: 'meta:5511900000041', urgency: 'critical', reason: 'cobrança indevida', text: 'Novo atendimento crítico: protocolo 2026000123' };
const agents = ['+5511900000098', '+5511900000099'];

describe('McpNotifier', () => {
  it('alerts every agent with a per-recipient key derived from the alert key', async () => {
    const sender = new RecordingSender();
    const receipt = await new McpNotifier(sender, { recipients: agents }).sendAgentAlert(alert, 'run-7/handoff/notify');
    expect(sender.calls.map((c) => [c.number, c.message, c.idempotencyKey])).toEqual(
      agents.map((agent) => [agent, alert.text, recipientKey('run-7/handoff/notify', agent)]),
    );
    expect(receipt.deliveries).toEqual([
      { recipient: agents[0], messageId: 'wamid.1', status: 'accepted' },
      { recipient: agents[1], messageId: 'wamid.2', status: 'accepted' },
    ]);
    expect(recipientKey('run-7/handoff/notify', agents[0] as string)).not.toContain('5511900000098');
  });

  it('on a partial failure throws a retryable error, and the retry reaches only the agent that was missed', async () => {
    const outage = new WhatsAppMcpError('PROVIDER_UNAVAILABLE', 'Meta is down', true);
    const sender = new RecordingSender(new Map([[agents[1] as string, outage]]));
    const notifier = new McpNotifier(sender, { recipients: agents });
    const error = await notifier.sendAgentAlert(alert, 'k').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error).toMatchObject({ code: 'ALERT_DELIVERY_FAILED', retryable: true });
    expect((error as Error).message).not.toContain('5511900000099');
    sender.failing.clear();
    await notifier.sendAgentAlert(alert, 'k');
    expect(sender.messagesSent).toBe(2);
  });

  it('is not retryable when every failure is permanent', async () => {
    const sender = new RecordingSender(new Map([[agents[0] as string, new WhatsAppMcpError('INVALID_RECIPIENT', 'not on WhatsApp', false)]]));
    await expect(new McpNotifier(sender, { recipients: agents }).sendAgentAlert(alert, 'k')).rejects.toMatchObject({ retryable: false });
  });

  it('refuses an empty or invalid recipient list at construction', () => {
    expect(() => new McpNotifier(new RecordingSender(), { recipients: [' ', ''] })).toThrow(WhatsAppConfigError);
    expect(() => new McpNotifier(new RecordingSender(), { recipients: ['+5511900000098', 'agent-bob'] })).toThrow(/agent-bob/);
  });
});

describe('McpCustomerMessenger', () => {
  it('answers the number behind the conversation key, from its instance, with the given key', async () => {
    const sender = new RecordingSender();
    const messenger = new McpCustomerMessenger(sender);
    const sent = await messenger.sendToCustomer('evolution:zapflow-atendimento:5511900000041@s.whatsapp.net', 'Olá!', 'run-1/reply');
    expect(sent).toEqual({ messageId: 'wamid.1', messageIds: ['wamid.1'], status: 'accepted' });
    expect(sender.calls).toEqual([{ number: '5511900000041@s.whatsapp.net', message: 'Olá!', idempotencyKey: 'run-1/reply', instance: 'zapflow-atendimento' }]);
  });

  it.each([
    ['5511900000041', { number: '5511900000041' }],
    ['meta:5511900000041', { number: '5511900000041' }],
    ['meta:100000000000001:5511900000041', { number: '5511900000041', instance: '100000000000001' }],
    ['evolution:loja-1:123456789012345@lid', { number: '123456789012345@lid', instance: 'loja-1' }],
  ])('reads conversation key %s', (key, address) => {
    expect(addressFromConversationKey(key)).toEqual(address);
  });

  it('uses a resolver given by the service', async () => {
    const sender = new RecordingSender();
    await new McpCustomerMessenger(sender, { resolveRecipient: () => ({ number: '+5511900000077' }) }).sendToCustomer('conv-42', 'Oi', 'k');
    expect(sender.calls[0]?.number).toBe('+5511900000077');
    expect(() => addressFromConversationKey('telegram:1:2:3')).toThrow(/recipient resolver/);
  });
});
