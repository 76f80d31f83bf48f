import type { Recipient } from './recipient.js';

export type WhatsAppProvider = 'meta' | 'evolution' | 'dry-run';

export interface OutgoingText {
  to: Recipient;
  /** At most one WhatsApp message worth of text (the server splits longer messages before calling). */
  text: string;
  /** Evolution: the instance to send from. Meta: the phone-number id to send from. Default: the configured one. */
  instance?: string;
}

export interface SentText {
  /** The provider's message id (Meta `wamid.…`, Evolution `key.id`, dry-run `dryrun-…`). */
  messageId: string;
  /** `accepted` when the provider took the message; `dry_run` when it was only recorded. */
  status: 'accepted' | 'dry_run';
  /** The instance / phone-number id actually used. */
  instance?: string;
}

/**
 * One way to put a text message on WhatsApp. Implementations throw `WhatsAppSendError` with `retryable`
 * set from what the provider said (429/5xx/timeouts: retryable; bad number, bad token, other 4xx: not).
 */
export interface WhatsAppSender {
  readonly provider: WhatsAppProvider;
  sendText(message: OutgoingText): Promise<SentText>;
}
