import { describe, expect, it } from 'vitest';
import { WhatsAppSendError } from '../../../src/mcp/errors.js';
import { formatRecipient, parseRecipient } from '../../../src/mcp/senders/recipient.js';

describe('parseRecipient', () => {
  it.each([
    ['+55 (11) 99999-0000', { kind: 'phone', digits: '5511999990000' }],
    ['5511999990000', { kind: 'phone', digits: '5511999990000' }],
    ['5511999990000@s.whatsapp.net', { kind: 'phone', digits: '5511999990000' }],
    ['5511999990000:12@s.whatsapp.net', { kind: 'phone', digits: '5511999990000' }],
    ['5511999990000@c.us', { kind: 'phone', digits: '5511999990000' }],
    ['120363025246125486@g.us', { kind: 'group', jid: '120363025246125486@g.us' }],
    ['5511999990000-1612345678@g.us', { kind: 'group', jid: '5511999990000-1612345678@g.us' }],
    ['123456789012345@lid', { kind: 'lid', jid: '123456789012345@lid' }],
  ])('accepts %s', (input, expected) => {
    expect(parseRecipient(input)).toEqual(expected);
  });

  it.each(['', '12345', '+0011999990000', '55119999900001234', 'abc', 'joao@example.com', '5511999990000@g.us.evil', '@s.whatsapp.net'])(
    'refuses %j with a non-retryable error naming the accepted forms',
    (input) => {
      let caught: unknown;
      try {
        parseRecipient(input);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(WhatsAppSendError);
      expect(caught).toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false });
      expect((caught as Error).message).toContain('E.164');
    },
  );

  it('formats a canonical recipient for the log', () => {
    expect(formatRecipient(parseRecipient('55 11 99999 0000'))).toBe('+5511999990000');
    expect(formatRecipient(parseRecipient('120363025246125486@G.US'))).toBe('120363025246125486@g.us');
  });
});
