/**
 * What `send_text_message` and `get_message_status` do, independent of MCP: validate the recipient, split long
 * texts, send each part through the configured sender, and make the idempotency key hold — the same key twice
 * gives one WhatsApp message (per part), even across server restarts when the log is SQLite.
 *
 * With a shared log (Postgres: several processes deliver the same outbox), each part is claimed in the log
 * before the provider is called, so a second process sending the same key waits for the first one's result.
 *
 * The one window left: if the server dies after the provider accepted a part and before the log recorded it,
 * a retry sends that part again (with a shared log: once the dead owner's claim has expired). Neither Meta nor
 * Evolution accepts an idempotency key we could forward, so at-least-once is the best any sender can do
 * there; a duplicate alert beats a lost one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { WhatsAppSendError } from '../errors.js';
import { formatRecipient, parseRecipient } from '../senders/recipient.js';
import type { SentText, WhatsAppProvider, WhatsAppSender } from '../senders/types.js';
import type { PendingPart, SendClaims, SentMessageLog, SentMessageRecord } from './message-log.js';
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
  /**
   * Shared logs only: how long a claim holds without renewal. The sender renews it every third of this while
   * the provider call runs, so it runs out only when its process died or froze for this long (then another
   * process may send the part again). @default 20_000
   */
  claimLeaseMs?: number;
  /** Shared logs only: how often a second sender of a claimed key looks for the first one's result. @default 200 */
  claimPollMs?: number;
  /** Shared logs only: who this service is in the claims. @default host:pid:random */
  owner?: string;
}

/** Recording a sent part in a shared log is retried this long (a database restart) before the call fails. */
const RECORD_RETRY_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TextMessageService {
  private readonly now: () => number;
  /** Calls with the same key that arrive while the first is still sending wait for it instead of sending again. */
  private readonly inFlight = new Map<string, Promise<SendTextResult>>();
  /** Every send under way, so shutdown can let them record their result before the log closes. */
  private readonly pending = new Set<Promise<unknown>>();
  /** Parts the provider accepted whose `sent` record the shared log refused (database down): recorded on the next call. */
  private readonly unrecorded = new Map<string, SentMessageRecord & { idempotencyKey: string }>();
  private readonly owner: string;
  private readonly leaseMs: number;

  constructor(private readonly options: TextMessageServiceOptions) {
    this.now = options.now ?? Date.now;
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.leaseMs = options.claimLeaseMs ?? 20_000;
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
    let sentNow = false;
    for (let part = 0; part < parts.length; part++) {
      const done = already.find((record) => record.part === part);
      if (done) {
        records.push(done);
        continue;
      }
      const partText = parts[part] as string;
      const pending: Omit<PendingPart, 'idempotencyKey'> = {
        part, parts: parts.length, requestHash, provider: sender.provider,
        ...(input.instance ? { instance: input.instance } : {}),
        recipient: canonicalRecipient,
        // Real sends keep no text: the provider has it, and the log should hold as little personal data as it can.
        ...(sender.provider === 'dry-run' ? { text: partText } : {}),
        textLength: partText.length, createdAt: this.now(),
      };
      const key = input.idempotencyKey;
      const send = () => sender.sendText({ to: recipient, text: partText, ...(input.instance ? { instance: input.instance } : {}) });
      const outcome = log.claims && key !== undefined
        ? await this.sendClaimed(log.claims, { ...pending, idempotencyKey: key }, send)
        : { record: await this.sendUnclaimed(pending, key, send), sentNow: true };
      records.push(outcome.record);
      sentNow ||= outcome.sentNow;
    }
    const deduplicated = !sentNow;
    const first = records[0] as SentMessageRecord;
    logger?.info(
      { provider: sender.provider, recipientKind: recipient.kind, parts: parts.length, messageId: first.messageId, deduplicated },
      deduplicated
        ? 'WhatsApp message already sent under this idempotency key'
        : sender.provider === 'dry-run' ? 'WhatsApp message recorded (dry-run: not sent)' : 'WhatsApp message sent',
    );
    return { messageId: first.messageId, messageIds: records.map((r) => r.messageId), status: first.status, provider: sender.provider, deduplicated };
  }

  /** The part as sent now, recorded in the log. */
  private async sendUnclaimed(part: Omit<PendingPart, 'idempotencyKey'>, idempotencyKey: string | undefined, send: () => Promise<SentText>): Promise<SentMessageRecord> {
    const sent = await send();
    const record = this.sentRecord(part, sent);
    await this.options.log.record(idempotencyKey !== undefined ? { ...record, idempotencyKey } : record);
    return record;
  }

  /**
   * Shared log: claim the part, then send it and mark it sent — or return what another process sent under the
   * key, waiting while it holds a live claim (bounded: past it the caller gets a retryable error).
   */
  private async sendClaimed(claims: SendClaims, part: PendingPart, send: () => Promise<SentText>): Promise<{ record: SentMessageRecord; sentNow: boolean }> {
    const slot = `${part.idempotencyKey}\u0000${part.part}`;
    const unrecorded = this.unrecorded.get(slot);
    if (unrecorded) {
      // This process sent it earlier but could not record it: record it now, never send it again.
      await claims.complete(unrecorded, this.owner);
      this.unrecorded.delete(slot);
      return { record: unrecorded, sentNow: false };
    }
    const waitUntil = Date.now() + this.leaseMs + 5000;
    for (;;) {
      const claim = await claims.claim(part, this.owner, this.leaseMs);
      if (claim.outcome === 'claimed') {
        if (claim.expiredClaim) {
          this.options.logger?.warn({ part: part.part }, 'WhatsApp send claim expired before it was marked sent (its sender died or froze mid-send): sending this part again');
        }
        break;
      }
      const requestHash = claim.outcome === 'sent' ? claim.record.requestHash : claim.requestHash;
      if (requestHash !== part.requestHash) {
        throw new WhatsAppSendError(
          'IDEMPOTENCY_KEY_REUSED',
          'This idempotencyKey was already used for a different recipient or text; use a new key for a new message. Retrying will not help.',
          false,
        );
      }
      if (claim.outcome === 'sent') return { record: claim.record, sentNow: false };
      if (Date.now() > waitUntil) {
        throw new WhatsAppSendError('SEND_IN_PROGRESS', 'Another process is still sending this message; retrying later will return its result.', true);
      }
      await sleep(this.options.claimPollMs ?? 200);
    }

    const { idempotencyKey, part: index } = part;
    const renewal = setInterval(() => {
      claims.renew(idempotencyKey, index, this.owner, this.leaseMs).then(
        (held) => { if (!held) this.options.logger?.warn({ part: index }, 'WhatsApp send claim taken over by another process while this one was sending'); },
        () => {}, // database unreachable for a moment: the next renewal (or the record retries) tells
      );
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    try {
      let sent: SentText;
      try {
        sent = await send();
      } catch (error) {
        // The provider refused (or did not answer): a later attempt may send the part. Best effort — an
        // unreleased claim only makes that attempt wait for its lease. A timeout is ambiguous — the provider may
        // have accepted the part — and Meta/Evolution take no idempotency key: retrying keeps the reply from being
        // lost at the price of a possible repeat, which is said here so an operator can count them.
        if (error instanceof WhatsAppSendError && error.code === 'PROVIDER_TIMEOUT') {
          this.options.logger?.warn({ part: index }, 'WhatsApp send timed out: the provider may have the part already; a retry may repeat it');
        }
        await claims.release(idempotencyKey, index, this.owner).catch(() => {});
        throw error;
      }
      const record = { ...this.sentRecord(part, sent), idempotencyKey };
      await this.recordClaimed(claims, record, slot);
      return { record, sentNow: true };
    } finally {
      clearInterval(renewal);
    }
  }

  /** The provider accepted the part: its record must land, or this process would send it again. */
  private async recordClaimed(claims: SendClaims, record: SentMessageRecord & { idempotencyKey: string }, slot: string): Promise<void> {
    const giveUpAt = Date.now() + RECORD_RETRY_MS;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      try {
        await claims.complete(record, this.owner);
        return;
      } catch (error) {
        if (Date.now() + wait > giveUpAt) {
          this.unrecorded.set(slot, record);
          throw new WhatsAppSendError('LOG_UNAVAILABLE', 'The message was sent but the sent-message log could not record it; retrying records it without sending again.', true, {}, { cause: error });
        }
        await sleep(wait);
      }
    }
  }

  private sentRecord(part: Omit<PendingPart, 'idempotencyKey'>, sent: SentText): SentMessageRecord {
    const now = this.now();
    const { instance: _asked, ...rest } = part;
    return { ...rest, messageId: sent.messageId, ...(sent.instance ? { instance: sent.instance } : {}), status: sent.status, createdAt: now, updatedAt: now };
  }
}
