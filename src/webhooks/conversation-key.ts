/**
 * Conversation keys: one per customer per business channel, the same across providers' redeliveries and
 * across the customer's messages, so the engine's session state (sessionId = conversation key) follows the
 * conversation. `meta:<phone_number_id>:<customer>` / `evolution:<instance>:<customer>` /
 * `chatwoot:<account id>:<conversation display id>` (Chatwoot owns the thread: its conversation is the address).
 *
 * Customers (phone digits, Meta BSUIDs, `…@lid` / `…@g.us` JIDs) never contain ":", so the key splits
 * unambiguously on its first and last ":" even if an Evolution instance name has one.
 */
import type { Provider } from './types.js';

export function conversationKeyOf(provider: Provider, channel: string, customer: string): string {
  return `${provider}:${channel}:${customer}`;
}

export interface ConversationKeyParts {
  provider: Provider;
  /** Meta phone_number_id, Evolution instance or Chatwoot account id. */
  channel: string;
  /** Phone digits, BSUID or JID (Chatwoot: the conversation's display id): the address to reply to. */
  customer: string;
}

/** Inverse of `conversationKeyOf`; undefined for a string that is not a conversation key. */
export function parseConversationKey(key: string): ConversationKeyParts | undefined {
  const first = key.indexOf(':');
  const last = key.lastIndexOf(':');
  if (first <= 0 || last === first || last === key.length - 1) return undefined;
  const provider = key.slice(0, first);
  if (provider !== 'meta' && provider !== 'evolution' && provider !== 'chatwoot') return undefined;
  const channel = key.slice(first + 1, last);
  if (channel.length === 0) return undefined;
  return { provider, channel, customer: key.slice(last + 1) };
}
