/**
 * A conversation's content hash: the same messages (roles and texts, whitespace-trimmed) give the same hash
 * whatever the id or labels. Models remember the hashes they were trained on, so `zapflow eval` can say
 * when it is scoring a model on its own training data (which flatters it).
 */
import { createHash } from 'node:crypto';
import type { ConversationMessage } from '../model.js';

export function conversationHash(messages: readonly ConversationMessage[]): string {
  const hash = createHash('sha256');
  for (const m of messages) hash.update(m.role).update('\u0000').update(m.text.trim().replace(/\s+/g, ' ')).update('\u0001');
  return hash.digest('hex').slice(0, 16);
}
