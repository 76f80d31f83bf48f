/** Shared by the cron tests: a logger whose lines the test reads, and a conversation waiting for a person. */
import { Writable } from 'node:stream';
import { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import type { Urgency } from '../../../src/conversations/store/types.js';
import { createLogger, type Logger } from '../../../src/logging.js';

export type LogLine = Record<string, unknown> & { level: string; msg: string };

export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as LogLine);
      callback();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

/** A service store and lifecycle on a clock the test moves. */
export function serviceOnClock(clock: () => number) {
  const store = new MemoryServiceStore();
  const lifecycle = new ConversationLifecycle(store, clock);
  let messageId = 0;

  /** A customer wrote (so the conversation exists), then the handoff workflow escalated it now. */
  async function openHandoff(conversationKey: string, protocolNumber: string, urgency: Urgency): Promise<void> {
    await addConversation(conversationKey);
    await lifecycle.handoffCreated(conversationKey, { protocolNumber, urgency, reason: 'explicit_request' });
  }

  async function addConversation(conversationKey: string): Promise<void> {
    messageId++;
    await store.insertInbox(
      [{ provider: conversationKey.startsWith('chatwoot:') ? 'chatwoot' : 'meta', messageId: `wamid.TEST.${messageId}`, conversationKey, kind: 'text', customer: `55119000000${String(messageId).padStart(2, '0')}`, text: 'quero falar com um atendente', sentAt: clock() }],
      clock(),
    );
  }

  return { store, lifecycle, openHandoff, addConversation };
}
