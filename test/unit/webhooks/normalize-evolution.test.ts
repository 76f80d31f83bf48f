/**
 * Evolution normalization beyond the fixtures: configurable ignores, message wrappers and reply types,
 * version differences (Longs, event spellings, arrays), statuses, and what is malformed.
 */
import { describe, expect, it } from 'vitest';
import {
  AcceptedBatchSchema,
  MalformedWebhookError,
  type NormalizeContext,
  normalizeEvolutionWebhook,
} from '../../../src/webhooks/index.js';
import { fixtureJson } from '../../helpers/webhook-fixtures.js';

const RECEIVED_AT = Date.UTC(2026, 8, 14, 12, 0, 0, 123);
const defaults: NormalizeContext = { ignore: { fromMe: true, groups: true, reactions: true }, receivedAt: RECEIVED_AT };
const withIgnore = (ignore: Partial<NormalizeContext['ignore']>): NormalizeContext => ({ ...defaults, ignore: { ...defaults.ignore, ...ignore } });

function upsert(data: Record<string, unknown>, envelope: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event: 'messages.upsert',
    instance: 'zapflow-atendimento',
    data: {
      key: { remoteJid: '5511900000070@s.whatsapp.net', fromMe: false, id: 'FAKE70' },
      pushName: 'Cliente Teste',
      messageTimestamp: 1789392600,
      ...data,
    },
    ...envelope,
  };
}

function normalize(body: unknown, context: NormalizeContext = defaults, route = {}) {
  const batch = normalizeEvolutionWebhook(body, route, context);
  expect(AcceptedBatchSchema.safeParse(batch).success).toBe(true);
  return batch;
}

describe('Evolution normalization', () => {
  it('passes messages typed on the business phone through as fromMe (no customer name) when fromMe is not ignored', () => {
    const body = fixtureJson('evolution/messages-upsert-from-me.json');
    const batch = normalize(body, withIgnore({ fromMe: false }));
    expect(batch.messages).toHaveLength(1);
    expect(batch.messages[0]).toMatchObject({ fromMe: true, from: '5511900000041', conversationKey: 'evolution:zapflow-atendimento:5511900000041' });
    expect(batch.messages[0]?.name).toBeUndefined();
  });

  it('ignores send.message with the default options, and hands it over as a fromMe message when fromMe is wanted', () => {
    expect(normalize(fixtureJson('evolution/send-message.json')).ignored).toMatchObject([{ ignoredBecause: 'from_me', messageId: '3EB0FAKE00000000004102' }]);
    // The service wants them: whether WE sent it is decided later, by the provider ids our sends got back.
    const batch = normalize(fixtureJson('evolution/send-message.json'), withIgnore({ fromMe: false }));
    expect(batch.messages).toMatchObject([{ messageId: '3EB0FAKE00000000004102', fromMe: true, conversationKey: 'evolution:zapflow-atendimento:5511900000041' }]);
  });

  it('does not send a text-only notice to the business phone for its own voice notes', () => {
    const body = upsert({ key: { remoteJid: '5511900000070@s.whatsapp.net', fromMe: true, id: 'FAKE71' }, message: { audioMessage: { ptt: true } } });
    const batch = normalize(body, withIgnore({ fromMe: false }));
    expect(batch.textOnlyNotices).toEqual([]);
    expect(batch.ignored[0]?.ignoredBecause).toBe('media_without_text');
  });

  it('keys group messages per group with the participant phone as sender when groups are enabled', () => {
    const batch = normalize(fixtureJson('evolution/messages-upsert-group.json'), withIgnore({ groups: false }));
    expect(batch.messages[0]).toMatchObject({
      from: '5511900000046',
      groupId: '120363000000000001@g.us',
      conversationKey: 'evolution:zapflow-atendimento:120363000000000001@g.us',
    });
  });

  it('turns reactions into messages only when asked to', () => {
    const body = upsert({ message: { reactionMessage: { key: { id: '3EB0FAKE1', fromMe: true }, text: '\u2764\uFE0F' } } });
    expect(normalize(body).ignored.map((item) => item.ignoredBecause)).toEqual(['reaction']);
    expect(normalize(body, withIgnore({ reactions: false })).messages[0]).toMatchObject({ text: '\u2764\uFE0F', replyTo: '3EB0FAKE1' });
  });

  it.each([
    ['a disappearing-mode text', { ephemeralMessage: { message: { extendedTextMessage: { text: 'sumiu?' } } } }, 'sumiu?'],
    ['a view-once photo with caption', { viewOnceMessageV2: { message: { imageMessage: { caption: 'olha', mimetype: 'image/jpeg' } } } }, 'olha'],
    ['a document with caption', { documentWithCaptionMessage: { message: { documentMessage: { caption: 'boleto', fileName: 'b.pdf' } } } }, 'boleto'],
    ['a reply button', { buttonsResponseMessage: { selectedButtonId: 'sim', selectedDisplayText: 'Sim' } }, 'Sim'],
    ['a list row', { listResponseMessage: { title: 'Fatura', singleSelectReply: { selectedRowId: 'fatura' } } }, 'Fatura'],
    ['a template quick reply', { templateButtonReplyMessage: { selectedId: 'OK', selectedDisplayText: 'Ok' } }, 'Ok'],
    ['text next to key-distribution noise', { senderKeyDistributionMessage: { groupId: 'x' }, messageContextInfo: {}, conversation: 'oi' }, 'oi'],
  ])('reads %s as text', (_label, message, text) => {
    expect(normalize(upsert({ message })).messages[0]?.text).toBe(text);
  });

  it('keeps the tapped button id as payload and the quoted id from a v2.0 contextInfo', () => {
    const batch = normalize(
      upsert({
        message: {
          buttonsResponseMessage: { selectedButtonId: 'falar_com_atendente', selectedDisplayText: 'Falar com atendente', contextInfo: { stanzaId: '3EB0FAKE2' } },
        },
      }),
    );
    expect(batch.messages[0]).toMatchObject({ payload: 'falar_com_atendente', replyTo: '3EB0FAKE2' });
  });

  it.each([
    ['locationMessage', 'location'],
    ['contactMessage', 'contacts'],
    ['stickerMessage', 'media_without_text'],
    ['pollCreationMessageV3', 'unsupported'],
  ])('asks for a text-only notice for %s (%s)', (type, because) => {
    const batch = normalize(upsert({ message: { [type]: {} } }));
    expect(batch.textOnlyNotices).toMatchObject([{ because, messageId: 'FAKE70', conversationKey: 'evolution:zapflow-atendimento:5511900000070' }]);
  });

  it('ignores revocations and edits without replying', () => {
    const batch = normalize(upsert({ message: { protocolMessage: { type: 'REVOKE' } } }));
    expect(batch.ignored.map((item) => item.ignoredBecause)).toEqual(['system']);
    expect(batch.textOnlyNotices).toEqual([]);
  });

  it('reads timestamps as numbers, numeric strings and protobuf Longs', () => {
    const stamps = [1789392600, '1789392600', { low: 1789392600, high: 0, unsigned: true }].map(
      (messageTimestamp) => normalize(upsert({ message: { conversation: 'oi' }, messageTimestamp })).messages[0]?.timestamp,
    );
    expect(stamps).toEqual([1789392600_000, 1789392600_000, 1789392600_000]);
  });

  it('accepts the upper-case event spelling and a data array', () => {
    const body = {
      event: 'MESSAGES_UPSERT',
      instance: 'zapflow-atendimento',
      data: [
        { key: { remoteJid: '5511900000072@s.whatsapp.net', id: 'FAKE72' }, message: { conversation: 'um' } },
        { key: { remoteJid: '5511900000073@s.whatsapp.net', id: 'FAKE73' }, message: { conversation: 'dois' } },
      ],
    };
    expect(normalize(body).messages.map((message) => message.text)).toEqual(['um', 'dois']);
  });

  it('strips device suffixes so a customer keeps one conversation key', () => {
    const body = upsert({ key: { remoteJid: '200000000000074:12@lid', id: 'FAKE74' }, message: { conversation: 'oi' } });
    expect(normalize(body).messages[0]?.from).toBe('200000000000074@lid');
  });

  it('maps messages.update statuses of both generations to delivery updates', () => {
    const batch = normalize(fixtureJson('evolution/messages-update-read.json'));
    expect(batch.statusUpdates).toEqual([
      { provider: 'evolution', messageId: '3EB0FAKE00000000004102', status: 'read', timestamp: RECEIVED_AT, conversationKey: 'evolution:zapflow-atendimento:5511900000041' },
    ]);
    const older = normalize({ event: 'messages.update', instance: 'i', data: [{ key: { id: 'FAKE75', remoteJid: '5511900000075@s.whatsapp.net' }, update: { status: 3 } }] });
    expect(older.statusUpdates).toMatchObject([{ messageId: 'FAKE75', status: 'delivered' }]);
  });

  it('counts an unreadable status instead of refusing the delivery', () => {
    const batch = normalize({ event: 'messages.update', instance: 'i', data: { status: 'READ' } });
    expect(batch.statusUpdates).toEqual([]);
    expect(batch.ignored.map((item) => item.ignoredBecause)).toEqual(['status']);
  });

  it.each([
    ['a body that is not an object', 'messages.upsert'],
    ['no data field', { event: 'messages.upsert', instance: 'i' }],
    ['an event that is not a string', { event: 5, data: {} }],
    ['data without key', upsert({ key: undefined })],
    ['a key without id', upsert({ key: { remoteJid: '5511900000070@s.whatsapp.net' } })],
    ['fromMe that is not a boolean', upsert({ key: { remoteJid: '5511900000070@s.whatsapp.net', id: 'X', fromMe: 'no' } })],
    ['a conversation that is not a string', upsert({ message: { conversation: 12 } })],
    ['no instance in the body nor the URL', upsert({ message: { conversation: 'oi' } }, { instance: undefined })],
  ])('refuses %s as malformed', (_label, body) => {
    expect(() => normalizeEvolutionWebhook(body, {}, defaults)).toThrow(MalformedWebhookError);
  });
});
