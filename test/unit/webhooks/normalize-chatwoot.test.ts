/**
 * Chatwoot agent-bot payloads (fixtures shaped like Chatwoot v4.x's Message#webhook_data and the conversation
 * push data) → inbound messages, text-only notices and the conversation statuses the service follows.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeChatwootWebhook } from '../../../src/webhooks/chatwoot/normalize.js';
import { signChatwootBody, verifyChatwootSignature } from '../../../src/webhooks/chatwoot/signature.js';
import { MalformedWebhookError } from '../../../src/webhooks/errors.js';
import { AcceptedBatchSchema } from '../../../src/webhooks/types.js';

const dir = join(import.meta.dirname, '../../fixtures/chatwoot');
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
  fixtures: Array<{ file: string; expect: { inbound: number; notices: number; statuses: string[] } }>;
};
const fixture = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
const context = { ignore: { fromMe: false, groups: true, reactions: true }, receivedAt: 1_773_152_600_000 };

describe('Chatwoot payloads', () => {
  it.each(manifest.fixtures)('$file', ({ file, expect: expected }) => {
    const batch = normalizeChatwootWebhook(fixture(file), context);
    expect(AcceptedBatchSchema.parse(batch)).toBeTruthy();
    expect(batch.messages).toHaveLength(expected.inbound);
    expect(batch.textOnlyNotices).toHaveLength(expected.notices);
    expect((batch.conversationStatuses ?? []).map((s) => s.status)).toEqual(expected.statuses);
    // Every item is accounted for: inbound, or ignored with a reason.
    expect(batch.messages.length + batch.ignored.length).toBeGreaterThan(0);
  });

  it('a customer message becomes an inbound message keyed on the account and conversation, deduplicated on the message id', () => {
    const batch = normalizeChatwootWebhook(fixture('message_created.incoming_text.json'), context);
    expect(batch.messages[0]).toEqual({
      provider: 'chatwoot',
      messageId: '4821',
      conversationKey: 'chatwoot:3:58',
      from: '5511900000301',
      name: 'Maria Exemplo',
      text: 'Oi, meu Pix não caiu na conta desde ontem',
      timestamp: Date.parse('2026-03-10T14:22:05.120Z'),
      account: '3',
    });
    expect(batch.conversationStatuses).toEqual([
      { provider: 'chatwoot', conversationKey: 'chatwoot:3:58', status: 'pending', source: 'customer_message', event: 'message_created', timestamp: Date.parse('2026-03-10T14:22:05.120Z') },
    ]);
  });

  it('our own replies, private notes, activity and template messages never become customer messages', () => {
    for (const file of ['message_created.outgoing_bot.json', 'message_created.private_note.json', 'message_created.activity.json', 'message_created.template.json']) {
      const batch = normalizeChatwootWebhook(fixture(file), context);
      expect(batch.messages, file).toEqual([]);
      expect(batch.ignored.map((i) => i.ignoredBecause), file).toEqual([expect.stringMatching(/^(from_me|system)$/)]);
    }
  });

  it('an agent writing to the customer means a person has the conversation, even while Chatwoot still says pending', () => {
    const payload = fixture('message_created.outgoing_agent.json');
    (payload.conversation as Record<string, unknown>).status = 'pending';
    const batch = normalizeChatwootWebhook(payload, context);
    expect(batch.conversationStatuses).toMatchObject([{ status: 'open', source: 'agent_message' }]);
  });

  it('conversation events carry no account object: it is read from their last message', () => {
    const batch = normalizeChatwootWebhook(fixture('conversation_opened.json'), context);
    expect(batch.conversationStatuses).toMatchObject([{ conversationKey: 'chatwoot:3:58', status: 'open', source: 'conversation_event', event: 'conversation_opened' }]);
  });

  it('media without a caption gets the text-only notice, a location its own reason', () => {
    expect(normalizeChatwootWebhook(fixture('message_created.incoming_image_only.json'), context).textOnlyNotices[0]).toMatchObject({ because: 'media_without_text', conversationKey: 'chatwoot:3:58' });
    expect(normalizeChatwootWebhook(fixture('message_created.incoming_location.json'), context).textOnlyNotices[0]).toMatchObject({ because: 'location' });
  });

  it('a body that is not a Chatwoot event is a 400 naming the field, never a crash', () => {
    const bad: unknown[] = [[], 'x', {}, { event: 'message_created' }, { ...fixture('message_created.incoming_text.json'), conversation: { id: 'abc' } }, { ...fixture('message_created.incoming_text.json'), account: null }];
    for (const body of bad) expect(() => normalizeChatwootWebhook(body, context)).toThrow(MalformedWebhookError);
    try {
      normalizeChatwootWebhook({ ...fixture('message_created.incoming_text.json'), conversation: { id: 'abc' } }, context);
    } catch (error) {
      expect((error as MalformedWebhookError).path).toBe('body.conversation.id');
    }
  });
});

describe('X-Chatwoot-Signature (Chatwoot ≥ 4.13)', () => {
  const body = Buffer.from(JSON.stringify(fixture('message_created.incoming_text.json')));
  const now = 1_773_152_600_000;
  const timestamp = String(now / 1000);

  it('accepts the HMAC of "<timestamp>.<body>" and refuses a tampered body, a wrong secret or a stale timestamp', () => {
    const signature = signChatwootBody('bot-secret', timestamp, body);
    expect(verifyChatwootSignature(body, { signature, timestamp }, 'bot-secret', now)).toBe(true);
    expect(verifyChatwootSignature(Buffer.concat([body, Buffer.from(' ')]), { signature, timestamp }, 'bot-secret', now)).toBe(false);
    expect(verifyChatwootSignature(body, { signature, timestamp }, 'other-secret', now)).toBe(false);
    expect(verifyChatwootSignature(body, { signature, timestamp }, 'bot-secret', now + 301_000)).toBe(false);
    expect(verifyChatwootSignature(body, { signature: undefined, timestamp }, 'bot-secret', now)).toBe(false);
    expect(verifyChatwootSignature(body, { signature, timestamp: undefined }, 'bot-secret', now)).toBe(false);
  });
});
