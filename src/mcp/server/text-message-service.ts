/**
 * What `send_text_message` and `get_message_status` do, independent of MCP: validate the recipient, split long
 * texts, send each part through the configured sender, and make the idempotency key hold — the same key twice
 * gives one WhatsApp message (per part), even across server restarts when the log is SQLite.
 *
 * The one window left: if the server dies after the provider accepted a part and before the log recorded it,
 * a retry sends that part again. Neither Meta nor Evolution accepts an idempotency key we could forward, so
 * at-least-once is the best any sender can do there; a duplicate alert beats a lost one.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { WhatsAppSendError } from '../errors.js';
import { formatRecipient, parseRecipient } from '../senders/recipient.js';
import type { WhatsAppProvider, WhatsAppSender } from '../senders/types.js';
import type { SentMessageLog, SentMessageRecord } from './message-log.js';
import { WHATSAPP_MAX_TEXT, splitMessage } from './split-message.js';

export interface SendTextInput {
  /** E.164 number or WhatsApp id / group JID. */
  number: string;
  message: string;
  /** Evolution instance or Meta phone-number id to send from; default: the configured one. */
  instance?: string;
  /** Same key again → the first result, no second WhatsApp message. */
  idempotencyKey?: string;
}

export interface SendTextResult {
  /** The provider's id of the (first) message. */
  messageId: string;
  /** Every part's id, in order; one entry unless the text was split. */
  messageIds: string[];
  status: string;
  provider: WhatsAppProvider;
  /** True when nothing was sent now because this idempotency key was already sent. */
  deduplicated: boolean;
}

export interface MessageStatus {
  messageId: string;
  status: string;
  provider: WhatsAppProvider;
  part: number;
  parts: number;
  updatedAt: string;
}

export interface TextMessageServiceOptions {
  sender: WhatsAppSender;
  log: SentMessageLog;
  logger?: Logger;
  /** @default Date.now */
  now?: () => number;
  /** @default 4096 (WhatsApp's limit) */
  maxPartLength?: number;
}

export class TextMessageService {
  private readonly now: () => number;
  /** Calls with the same key that arrive while the first is still sending wait for it instead of sending again. */
  private readonly inFlight = new Map<string, Promise<SendTextResult>>();
  /** Every send under way, so shutdown can let them record their result before the log closes. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: TextMessageServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  get provider(): WhatsAppProvider {
    return this.options.sender.provider;
  }

  async send(input: SendTextInput): Promise<SendTextResult> {
    const key = input.idempotencyKey;
    const running = key === undefined ? undefined : this.inFlight.get(key);
    if (running) return { ...(await running), deduplicated: true };
    const attempt = this.sendParts(input);
    this.pending.add(attempt);
    if (key !== undefined) this.inFlight.set(key, attempt);
    try {
      return await attempt;
    } finally {
      this.pending.delete(attempt);
      if (key !== undefined) this.inFlight.delete(key);
    }
  }

  /** Resolves when every send under way has finished (successfully or not). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  async status(messageId: string): Promise<MessageStatus> {
    const record = await this.options.log.findByMessageId(messageId);
    if (!record) {
      throw new WhatsAppSendError('UNKNOWN_MESSAGE', `No message with id "${messageId}" was sent by this server; check the id. Retrying will not help.`, false);
    }
    return {
      messageId, status: record.status, provider: record.provider, part: record.part, parts: record.parts,
      updatedAt: new Date(record.updatedAt).toISOString(),
    };
  }

  private async sendParts(input: SendTextInput): Promise<SendTextResult> {
    const { sender, log, logger } = this.options;
    const recipient = parseRecipient(input.number);
    const text = input.message.trim();
    if (!text) throw new WhatsAppSendError('INVALID_MESSAGE', 'The message is empty; send some text. Retrying will not help.', false);
    const parts = splitMessage(text, this.options.maxPartLength ?? WHATSAPP_MAX_TEXT);
    const canonicalRecipient = formatRecipient(recipient);
    const requestHash = createHash('sha256').update(JSON.stringify([input.instance ?? '', canonicalRecipient, text])).digest('hex');

    const already = input.idempotencyKey !== undefined ? await log.findByIdempotencyKey(input.idempotencyKey) : [];
    if (already.some((record) => record.requestHash !== requestHash)) {
      throw new WhatsAppSendError(
        'IDEMPOTENCY_KEY_REUSED',
        'This idempotencyKey was already used for a different recipient or text; use a new key for a new message. Retrying will not help.',
        false,
      );
    }
    const records: SentMessageRecord[] = [];
    for (let part = 0; part < parts.length; part++) {
      const done = already.find((record) => record.part === part);
      if (done) {
        records.push(done);
        continue;
      }
      const partText = parts[part] as string;
      const sent = await sender.sendText({ to: recipient, text: partText, ...(input.instance ? { instance: input.instance } : {}) });
      const now = this.now();
      const record: SentMessageRecord = {
        messageId: sent.messageId,
        ...(input.idempotencyKey !== undefined ? { idempotencyKey: input.idempotencyKey } : {}),
        part, parts: parts.length, requestHash, provider: sender.provider,
        ...(sent.instance ? { instance: sent.instance } : {}),
        recipient: canonicalRecipient,
        // Real sends keep no text: the provider has it, and the log should hold as little personal data as it can.
        ...(sender.provider === 'dry-run' ? { text: partText } : {}),
        textLength: partText.length, status: sent.status, createdAt: now, updatedAt: now,
      };
      await log.record(record);
      records.push(record);
    }
    const deduplicated = already.length === parts.length;
    const first = records[0] as SentMessageRecord;
    logger?.info(
      { provider: sender.provider, recipientKind: recipient.kind, parts: parts.length, messageId: first.messageId, deduplicated },
      deduplicated
        ? 'WhatsApp message already sent under this idempotency key'
        : sender.provider === 'dry-run' ? 'WhatsApp message recorded (dry-run: not sent)' : 'WhatsApp message sent',
    );
    return { messageId: first.messageId, messageIds: records.map((r) => r.messageId), status: first.status, provider: sender.provider, deduplicated };
  }
}
