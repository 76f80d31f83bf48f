/**
 * The workflows' `CustomerMessenger` on WhatsApp: replies go to the customer the conversation belongs to.
 * Which number (and instance) that is comes from the conversation key; the default reading accepts the key
 * forms the webhooks produce — a bare number or JID, optionally behind `meta:` or `evolution:<instance>:` —
 * and the service can pass its own resolver.
 */
import type { CustomerMessenger } from '../../service/ports.js';
import { WhatsAppSendError } from '../errors.js';
import type { TextMessageSender } from './notifier.js';

export interface CustomerAddress {
  number: string;
  instance?: string;
}

export interface McpCustomerMessengerOptions {
  /** Maps a conversation key to the customer's number/JID (and the instance to answer from). */
  resolveRecipient?: (conversationKey: string) => CustomerAddress;
}

export class McpCustomerMessenger implements CustomerMessenger {
  private readonly resolve: (conversationKey: string) => CustomerAddress;

  constructor(private readonly sender: TextMessageSender, options: McpCustomerMessengerOptions = {}) {
    this.resolve = options.resolveRecipient ?? addressFromConversationKey;
  }

  async sendToCustomer(conversationKey: string, text: string, idempotencyKey: string): Promise<{ messageId: string; messageIds: string[]; status: string }> {
    const address = this.resolve(conversationKey);
    const result = await this.sender.sendTextMessage({
      number: address.number,
      message: text,
      idempotencyKey,
      ...(address.instance ? { instance: address.instance } : {}),
    });
    return { messageId: result.messageId, messageIds: result.messageIds, status: result.status };
  }
}

/** `5511…`, `+5511…`, `…@s.whatsapp.net`, `meta:[<phoneNumberId>:]5511…`, `evolution:<instance>:5511…@s.whatsapp.net`. */
export function addressFromConversationKey(conversationKey: string): CustomerAddress {
  const evolution = /^evolution:([^:]+):(.+)$/.exec(conversationKey);
  if (evolution?.[1] && evolution[2]) return { instance: evolution[1], number: evolution[2] };
  const meta = /^meta:(?:([^:]+):)?([^:]+)$/.exec(conversationKey);
  if (meta?.[2]) return { number: meta[2], ...(meta[1] ? { instance: meta[1] } : {}) };
  if (!conversationKey.includes(':')) return { number: conversationKey };
  throw new WhatsAppSendError(
    'INVALID_RECIPIENT',
    `Cannot tell the customer's number from conversation key "${conversationKey}"; configure a recipient resolver. Retrying will not help.`,
    false,
  );
}
