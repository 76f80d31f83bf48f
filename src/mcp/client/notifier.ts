/**
 * The handoff's `Notifier` on WhatsApp: one alert text to every configured agent recipient (numbers or a
 * group), each with its own idempotency key derived from the caller's, so a retried alert reaches only the
 * agents it had not reached yet and never messages anyone twice.
 */
import { createHash } from 'node:crypto';
import type { AgentAlert, NotificationReceipt, Notifier } from '../../service/ports.js';
import { NotificationDeliveryError, WhatsAppConfigError } from '../errors.js';
import { parseRecipient } from '../senders/recipient.js';
import type { SendTextInput, SendTextResult } from '../server/text-message-service.js';

/** What the notifier needs from the MCP client (so tests and other transports can stand in). */
export interface TextMessageSender {
  sendTextMessage(input: SendTextInput): Promise<SendTextResult>;
}

export interface McpNotifierOptions {
  /** Agents' numbers (E.164) or a group JID, e.g. from AGENT_ALERT_NUMBERS. At least one. */
  recipients: string[];
  /** Evolution instance / Meta phone-number id to send from; default: the server's configured one. */
  instance?: string;
}

export class McpNotifier implements Notifier {
  private readonly recipients: string[];

  constructor(private readonly sender: TextMessageSender, private readonly options: McpNotifierOptions) {
    this.recipients = [...new Set(options.recipients.map((r) => r.trim()).filter(Boolean))];
    if (this.recipients.length === 0) {
      throw new WhatsAppConfigError(['No agent alert recipients configured: set AGENT_ALERT_NUMBERS (comma-separated E.164 numbers or a group id).']);
    }
    const invalid = this.recipients.filter((recipient) => !isValidRecipient(recipient));
    if (invalid.length > 0) {
      throw new WhatsAppConfigError(invalid.map((recipient) => `Agent alert recipient "${recipient}" is not an E.164 number or a WhatsApp id.`));
    }
  }

  async sendAgentAlert(alert: AgentAlert, idempotencyKey: string): Promise<NotificationReceipt> {
    // The alert may name its own recipients (the agent who claimed the conversation); else everyone configured.
    const recipients = alert.recipients?.length ? [...new Set(alert.recipients)] : this.recipients;
    const outcomes = await Promise.allSettled(
      recipients.map((recipient) =>
        this.sender.sendTextMessage({
          number: recipient,
          message: alert.text,
          idempotencyKey: recipientKey(idempotencyKey, recipient),
          ...(this.options.instance ? { instance: this.options.instance } : {}),
        }),
      ),
    );
    const deliveries: NotificationReceipt['deliveries'] = [];
    const failures: Array<{ recipient: string; error: Error }> = [];
    outcomes.forEach((outcome, index) => {
      const recipient = recipients[index] as string;
      if (outcome.status === 'fulfilled') deliveries.push({ recipient, messageId: outcome.value.messageId, status: outcome.value.status });
      else failures.push({ recipient, error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)) });
    });
    if (failures.length > 0) throw new NotificationDeliveryError(failures, deliveries.length);
    return { deliveries };
  }
}

/**
 * `<key>#to:<hash of the recipient>`: stable per (alert, recipient), and keeps phone numbers out of keys,
 * which end up in logs and in the server's log table.
 */
export function recipientKey(idempotencyKey: string, recipient: string): string {
  return `${idempotencyKey}#to:${createHash('sha256').update(recipient).digest('hex').slice(0, 16)}`;
}

function isValidRecipient(recipient: string): boolean {
  try {
    parseRecipient(recipient);
    return true;
  } catch {
    return false;
  }
}
