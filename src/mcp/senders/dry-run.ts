/**
 * The sender used when no provider is configured (and by the demo): nothing leaves the machine. The message
 * service records each message, text included, in the sent-message log, so the demo can show what agents
 * and customers would have received; no log line carries the phone number or the text.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutgoingText, SentText, WhatsAppSender } from './types.js';

export class DryRunSender implements WhatsAppSender {
  readonly provider = 'dry-run' as const;

  constructor(private readonly logger?: Logger) {}

  async sendText(message: OutgoingText): Promise<SentText> {
    const messageId = `dryrun-${randomUUID()}`;
    // The message service logs the send at info; this line only helps when tracing the sender itself.
    this.logger?.debug(
      { messageId, recipientKind: message.to.kind, textLength: message.text.length, instance: message.instance },
      'dry-run: WhatsApp message recorded, not sent',
    );
    return { messageId, status: 'dry_run', ...(message.instance ? { instance: message.instance } : {}) };
  }
}
