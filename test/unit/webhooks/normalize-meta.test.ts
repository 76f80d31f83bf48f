/**
 * Meta normalization beyond the fixtures: the configurable ignores, groups, odd-but-valid shapes, and the
 * line between "ignore it" (200) and "malformed" (400).
 */
import { describe, expect, it } from 'vitest';
import { AcceptedBatchSchema, MalformedWebhookError, type NormalizeContext, normalizeMetaWebhook } from '../../../src/webhooks/index.js';
import { fixtureJson } from '../../helpers/webhook-fixtures.js';

const RECEIVED_AT = Date.UTC(2026, 8, 14, 12, 0, 0, 123);
const defaults: NormalizeContext = { ignore: { fromMe: true, groups: true, reactions: true }, receivedAt: RECEIVED_AT };
const withIgnore = (ignore: Partial<NormalizeContext['ignore']>): NormalizeContext => ({ ...defaults, ignore: { ...defaults.ignore, ...ignore } });

/** A Cloud API delivery with the given messages/statuses in one change. */
function delivery(value: Record<string, unknown>): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '100000000000001',
        changes: [
          {
            value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '5511900000099', phone_number_id: '100000000000002' }, ...value },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

const textMessage = (extra: Record<string, unknown> = {}) => ({
  from: '5511900000060',
  id: 'wamid.FAKE60',
  timestamp: '1789390800',
  type: 'text',
  text: { body: 'Oi' },
  ...extra,
});

function normalize(body: unknown, context: NormalizeContext = defaults) {
  const batch = normalizeMetaWebhook(body, context);
  expect(AcceptedBatchSchema.safeParse(batch).success).toBe(true);
  return batch;
}

describe('Meta normalization', () => {
  it('converts the provider timestamp (Unix seconds as a string) to Unix ms, falling back to the receive time', () => {
    const batch = normalize(delivery({ messages: [textMessage(), textMessage({ id: 'wamid.FAKE61', timestamp: 'not-a-time' })] }));
    expect(batch.messages.map((message) => message.timestamp)).toEqual([1789390800_000, RECEIVED_AT]);
  });

  it('takes the name from the contact matching the sender, even among several contacts', () => {
    const batch = normalize(
      delivery({
        contacts: [
          { profile: { name: 'Outra Pessoa Teste' }, wa_id: '5511900000061' },
          { profile: { name: 'Cliente Certo Teste' }, wa_id: '5511900000060' },
        ],
        messages: [textMessage()],
      }),
    );
    expect(batch.messages[0]?.name).toBe('Cliente Certo Teste');
  });

  it('skips a malformed contact instead of refusing the customer message', () => {
    const batch = normalize(delivery({ contacts: [{ profile: 7 }, 'junk'], messages: [textMessage()] }));
    expect(batch.messages).toHaveLength(1);
    expect(batch.messages[0]?.name).toBeUndefined();
  });

  it('turns reactions into messages when reactions are not ignored, quoting the reacted message', () => {
    const body = fixtureJson('meta/reaction.json');
    expect(normalize(body).ignored.map((item) => item.ignoredBecause)).toEqual(['reaction']);
    const batch = normalize(body, withIgnore({ reactions: false }));
    expect(batch.messages).toHaveLength(1);
    expect(batch.messages[0]).toMatchObject({ text: '\u{1F44D}', replyTo: 'wamid.HBgNNTUxMTkwMDAwMDAxMBUCABEYEjNBFAKEMDAwMDAwMDAwMDAwMQA=' });
  });

  it('never turns a removed reaction (empty emoji) into a message', () => {
    const reaction = { ...textMessage({ type: 'reaction', reaction: { message_id: 'wamid.FAKE1', emoji: '' } }), text: undefined };
    const batch = normalize(delivery({ messages: [reaction] }), withIgnore({ reactions: false }));
    expect(batch.messages).toEqual([]);
    expect(batch.ignored[0]?.ignoredBecause).toBe('reaction');
  });

  it('ignores Cloud API group messages by default, and keys them per group when groups are enabled', () => {
    const body = delivery({ messages: [textMessage({ group_id: 'GROUPFAKE1' })] });
    expect(normalize(body).ignored.map((item) => item.ignoredBecause)).toEqual(['group']);
    const batch = normalize(body, withIgnore({ groups: false }));
    expect(batch.messages[0]).toMatchObject({ from: '5511900000060', groupId: 'GROUPFAKE1', conversationKey: 'meta:100000000000002:GROUPFAKE1' });
  });

  it('keeps media details with a caption and asks for a text-only notice for WhatsApp Flow replies', () => {
    const batch = normalize(
      delivery({
        messages: [
          textMessage({ type: 'video', text: undefined, video: { caption: 'veja o video', mime_type: 'video/mp4', id: '100000000000901' } }),
          textMessage({ id: 'wamid.FAKE62', type: 'interactive', text: undefined, interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } } }),
        ],
      }),
    );
    expect(batch.messages[0]).toMatchObject({ text: 'veja o video', media: { kind: 'video', mimeType: 'video/mp4', providerMediaId: '100000000000901' } });
    expect(batch.textOnlyNotices).toMatchObject([{ messageId: 'wamid.FAKE62', because: 'unsupported' }]);
  });

  it('treats a whitespace-only text as nothing to answer, not as a message', () => {
    const batch = normalize(delivery({ messages: [textMessage({ text: { body: '  \n ' } })] }));
    expect(batch.messages).toEqual([]);
    expect(batch.ignored).toMatchObject([{ ignoredBecause: 'unsupported', detail: 'empty_text' }]);
  });

  it('maps statuses, keeps the failure code, and only counts statuses it cannot read', () => {
    const batch = normalize(
      delivery({
        statuses: [
          { id: 'wamid.OUT1', status: 'delivered', timestamp: '1789391580', recipient_id: '5511900000001' },
          { id: 'wamid.OUT2', status: 'failed', timestamp: '1789391581', recipient_id: '5511900000001', errors: [{ code: 131047, title: 'Re-engagement message' }] },
          { id: 'wamid.OUT3', status: 'deleted', timestamp: '1789391582' },
          { status: 'read' },
        ],
      }),
    );
    expect(batch.statusUpdates).toEqual([
      { provider: 'meta', messageId: 'wamid.OUT1', status: 'delivered', timestamp: 1789391580_000, conversationKey: 'meta:100000000000002:5511900000001' },
      {
        provider: 'meta',
        messageId: 'wamid.OUT2',
        status: 'failed',
        timestamp: 1789391581_000,
        conversationKey: 'meta:100000000000002:5511900000001',
        errorCode: 131047,
        errorTitle: 'Re-engagement message',
      },
    ]);
    expect(batch.ignored.map((item) => item.ignoredBecause)).toEqual(['status', 'status', 'status', 'status']);
  });

  it('reads every message of every change of every entry', () => {
    const first = delivery({ messages: [textMessage(), textMessage({ id: 'wamid.FAKE63' })] });
    const second = delivery({ messages: [textMessage({ id: 'wamid.FAKE64', from: '5511900000064' })] });
    const body = { object: 'whatsapp_business_account', entry: [...(first.entry as unknown[]), ...(second.entry as unknown[])] };
    expect(normalize(body).messages.map((message) => message.messageId)).toEqual(['wamid.FAKE60', 'wamid.FAKE63', 'wamid.FAKE64']);
  });

  it.each([
    ['not an object', ['whatsapp_business_account']],
    ['object is not a string', { object: 1, entry: [] }],
    ['an entry that is not an object', { object: 'whatsapp_business_account', entry: [42] }],
    ['changes that are not an array', { object: 'whatsapp_business_account', entry: [{ changes: {} }] }],
    ['a message without id', delivery({ messages: [textMessage({ id: undefined })] })],
    ['a message id longer than any real wamid', delivery({ messages: [textMessage({ id: `wamid.${'A'.repeat(300)}` })] })],
    ['messages without metadata', { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages', value: { messages: [textMessage()] } }] }] }],
    ['a text message without text', delivery({ messages: [textMessage({ text: undefined })] })],
    ['a caption that is not a string', delivery({ messages: [textMessage({ type: 'image', image: { caption: ['x'] } })] })],
  ])('refuses %s as malformed, naming the field', (_label, body) => {
    expect(() => normalizeMetaWebhook(body, defaults)).toThrow(MalformedWebhookError);
  });

  it('names the offending field in the error without quoting the payload', () => {
    const fixture = fixtureJson('malformed/meta-text-body-not-string.json');
    expect(() => normalizeMetaWebhook(fixture, defaults)).toThrow(/entry\[0\]\.changes\[0\]\.value\.messages\[0\]\.text\.body/);
  });
});
