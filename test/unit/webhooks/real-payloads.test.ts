/**
 * The normalizers on the real payloads of issue 18 (test/fixtures/webhooks/real, sources named in each file),
 * for what the end-to-end test does not reach: the options, and bodies that are authentic but odd.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyEvolutionBodyApikey } from '../../../src/webhooks/auth.js';
import type { NormalizeContext } from '../../../src/webhooks/batch.js';
import { normalizeEvolutionWebhook } from '../../../src/webhooks/evolution/normalize.js';
import { normalizeMetaWebhook } from '../../../src/webhooks/meta/normalize.js';
import { AcceptedBatchSchema } from '../../../src/webhooks/types.js';

const real = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/webhooks/real', file), 'utf8')) as Record<string, unknown>;
const RECEIVED_AT = Date.UTC(2026, 8, 14, 12, 0, 0);
const service: NormalizeContext = { ignore: { fromMe: false, groups: true, reactions: true }, receivedAt: RECEIVED_AT };
const defaults: NormalizeContext = { ...service, ignore: { ...service.ignore, fromMe: true } };
const meta = (body: unknown, context = service) => AcceptedBatchSchema.parse(normalizeMetaWebhook(body, context));
const evolution = (body: unknown, context = service) => AcceptedBatchSchema.parse(normalizeEvolutionWebhook(body, {}, context));

describe('Meta', () => {
  it('a coexistence echo becomes a fromMe message of the customer it was sent to (digits, as their own messages carry)', () => {
    expect(meta(real('meta/smb-message-echoes.json')).messages).toEqual([
      expect.objectContaining({ messageId: 'wamid.FAKE_ECHO_302', conversationKey: 'meta:100000000000002:5511900000302', from: '5511900000302', fromMe: true }),
    ]);
    expect(meta(real('meta/smb-message-echoes.json'), defaults).ignored).toMatchObject([{ ignoredBecause: 'from_me', detail: 'smb_message_echoes' }]);
  });

  it('an echo to a username customer is keyed by their BSUID; a media echo still counts as the agent writing', () => {
    const body = real('meta/smb-message-echoes.json') as { entry: Array<{ changes: Array<{ value: { message_echoes: Array<Record<string, unknown>> } }> }> };
    body.entry[0]!.changes[0]!.value.message_echoes = [{ from: '5511900000099', to: '', to_user_id: 'BR.900000000000311', id: 'wamid.FAKE_ECHO_311', type: 'image', image: { id: 'FAKE' } }];
    expect(meta(body).messages).toEqual([expect.objectContaining({ conversationKey: 'meta:100000000000002:BR.900000000000311', text: '[image]', fromMe: true })]);
  });

  it('request_welcome is a notice answered with a greeting; location without type is a location', () => {
    expect(meta(real('meta/request-welcome.json')).textOnlyNotices).toMatchObject([{ because: 'welcome_request', from: '5511900000303' }]);
    expect(meta(real('meta/location-without-type.json')).textOnlyNotices).toMatchObject([{ because: 'location', from: '5511900000306' }]);
  });

  it('a Flow reply whose response_json is not JSON (or only a flow_token) gets the notice, never a 400', () => {
    const body = real('meta/flow-nfm-reply.json') as { entry: Array<{ changes: Array<{ value: { messages: Array<{ interactive: { nfm_reply: { response_json: string } } }> } }> }> };
    const reply = body.entry[0]!.changes[0]!.value.messages[0]!.interactive.nfm_reply;
    reply.response_json = '{not json';
    expect(meta(body).textOnlyNotices).toMatchObject([{ because: 'unsupported' }]);
    reply.response_json = '{"flow_token": "FAKE"}';
    expect(meta(body).textOnlyNotices).toMatchObject([{ because: 'unsupported' }]);
  });

  it('an edit carries the edited message id', () => {
    expect(meta(real('meta/edit.json')).messages).toMatchObject([{ messageId: 'wamid.FAKE_EDIT_305', editOf: 'wamid.FAKE_ORIGINAL_305', text: 'quero ver o extrato do mês passado' }]);
  });
});

describe('Evolution', () => {
  it('both deliveries of one edit get the same message id (the inbox keeps one)', () => {
    const [viaEvent] = evolution(real('evolution/messages-edited.json')).messages;
    const [viaUpsert] = evolution(real('evolution/upsert-edited-message.json')).messages;
    expect(viaEvent).toMatchObject({ editOf: '3EB0FAKEORIGINAL309', text: 'quero ver o extrato do mês passado', conversationKey: 'evolution:loja:5511900000309' });
    expect(viaUpsert?.messageId).toBe(viaEvent?.messageId);
  });

  it('a transcribed voice note is text marked as audio; without a transcript it stays a notice', () => {
    expect(evolution(real('evolution/audio-speech-to-text.json')).messages).toMatchObject([{ text: 'como faço para cadastrar uma chave pix aleatória?', media: { kind: 'audio' } }]);
    const body = real('evolution/audio-speech-to-text.json') as { data: { message: Record<string, unknown> } };
    delete body.data.message.speechToText;
    expect(evolution(body).textOnlyNotices).toMatchObject([{ because: 'media_without_text' }]);
  });

  it('send.message is a fromMe message for the service, ignored with the default options, and never a 400 whatever its shape', () => {
    expect(evolution(real('evolution/send-message-from-chatwoot.json')).messages).toMatchObject([{ messageId: '3EB0FAKECHATWOOT307', fromMe: true }]);
    expect(evolution(real('evolution/send-message-from-chatwoot.json'), defaults).messages).toEqual([]);
    expect(evolution({ event: 'send.message', instance: 'loja', data: { unexpected: true } }).ignored).toMatchObject([{ ignoredBecause: 'from_me' }]);
  });

  it('the body apikey is compared with the secret (a missing or non-string field never matches)', () => {
    expect(verifyEvolutionBodyApikey(real('evolution/default-webhook-body-apikey.json'), 'test-evolution-secret')).toBe(true);
    expect(verifyEvolutionBodyApikey(real('evolution/default-webhook-body-apikey.json'), 'another-secret')).toBe(false);
    expect(verifyEvolutionBodyApikey(real('evolution/messages-edited.json'), 'test-evolution-secret')).toBe(false);
    expect(verifyEvolutionBodyApikey({ apikey: ['test-evolution-secret'] }, 'test-evolution-secret')).toBe(false);
  });
});
