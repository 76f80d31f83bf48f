/** Customers known only by a Meta business-scoped user id (WhatsApp username, phone hidden) can be answered. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressFromConversationKey } from '../../../src/mcp/client/customer-messenger.js';
import { WhatsAppSendError } from '../../../src/mcp/errors.js';
import { EvolutionSender } from '../../../src/mcp/senders/evolution.js';
import { MetaCloudSender } from '../../../src/mcp/senders/meta.js';
import { formatRecipient, parseRecipient } from '../../../src/mcp/senders/recipient.js';
import { FAKE_META_DEFAULTS, startFakeMeta } from '../../helpers/fake-meta.js';
import type { FakeProvider } from '../../helpers/mcp-fake-provider.js';

describe('BSUID recipients', () => {
  let meta: FakeProvider;
  beforeAll(async () => {
    meta = await startFakeMeta();
  });
  afterAll(async () => meta.close());

  it('parse from the conversation key the webhook made, and format back unchanged', () => {
    const address = addressFromConversationKey('meta:100000000000002:BR.900000000000301');
    expect(address).toEqual({ instance: '100000000000002', number: 'BR.900000000000301' });
    const recipient = parseRecipient(address.number);
    expect(recipient).toEqual({ kind: 'bsuid', id: 'BR.900000000000301' });
    expect(formatRecipient(recipient)).toBe('BR.900000000000301');
    expect(parseRecipient('US.ENT.11815799212886844830')).toEqual({ kind: 'bsuid', id: 'US.ENT.11815799212886844830' });
  });

  it('go out through Meta in the "recipient" field instead of "to"', async () => {
    const sender = new MetaCloudSender({ accessToken: FAKE_META_DEFAULTS.token, phoneNumberId: FAKE_META_DEFAULTS.phoneNumberId, apiVersion: FAKE_META_DEFAULTS.apiVersion, graphUrl: meta.url });
    const sent = await sender.sendText({ to: parseRecipient('BR.900000000000301'), text: 'Olá!' });
    expect(sent.status).toBe('accepted');
    expect(meta.violations).toEqual([]);
    expect(meta.requests[0]?.body).toEqual({
      messaging_product: 'whatsapp', recipient_type: 'individual', recipient: 'BR.900000000000301', type: 'text', text: { preview_url: false, body: 'Olá!' },
    });
  });

  it('are refused by the Evolution sender with a clear, non-retryable error (Evolution has no BSUIDs)', async () => {
    const sender = new EvolutionSender({ baseUrl: 'http://127.0.0.1:9', apiKey: 'k', instance: 'loja' });
    const error = await sender.sendText({ to: parseRecipient('BR.900000000000301'), text: 'x' }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WhatsAppSendError);
    expect(error).toMatchObject({ code: 'UNSUPPORTED_RECIPIENT', retryable: false });
  });
});
