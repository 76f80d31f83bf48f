/**
 * Who a message goes to: a phone number in E.164 (with or without `+`, common punctuation allowed) or a
 * WhatsApp id — a user JID (`5511999990000@s.whatsapp.net`, legacy `@c.us`), a hidden-number `@lid`, or a
 * group JID (`120363…@g.us`, old style `5511…-1612…@g.us`). Parsed once, so each sender formats it its own way.
 */
import { WhatsAppSendError } from '../errors.js';

export type Recipient =
  | { kind: 'phone'; /** E.164 digits without `+`. */ digits: string }
  /** Meta business-scoped user id (a customer with a WhatsApp username and no phone shown): `BR.1502576394655843`. */
  | { kind: 'bsuid'; id: string }
  | { kind: 'lid'; jid: string }
  | { kind: 'group'; jid: string };

const E164_DIGITS = /^[1-9]\d{7,14}$/;
const USER_JID = /^([1-9]\d{7,14})(?::\d+)?@(s\.whatsapp\.net|c\.us)$/;
const LID_JID = /^\d{6,20}(?::\d+)?@lid$/;
const GROUP_JID = /^(\d{10,25}|[1-9]\d{7,14}-\d{9,12})@g\.us$/;
/** ISO country code, a dot, up to 128 alphanumerics; parent BSUIDs have `.ENT.` in between (Meta's format). */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;

/** Parses a recipient or throws a non-retryable INVALID_RECIPIENT error naming the accepted forms. */
export function parseRecipient(input: string): Recipient {
  const value = input.trim();
  if (value.includes('@')) {
    const jid = value.toLowerCase();
    const user = USER_JID.exec(jid);
    if (user?.[1]) return { kind: 'phone', digits: user[1] };
    if (LID_JID.test(jid)) return { kind: 'lid', jid };
    if (GROUP_JID.test(jid)) return { kind: 'group', jid };
  } else if (BSUID.test(value)) {
    return { kind: 'bsuid', id: value };
  } else {
    const digits = value.replace(/[\s().-]/g, '').replace(/^\+/, '');
    if (E164_DIGITS.test(digits)) return { kind: 'phone', digits };
  }
  throw new WhatsAppSendError(
    'INVALID_RECIPIENT',
    'Invalid WhatsApp recipient: use a phone number in E.164 format (e.g. +5511999990000), a WhatsApp id ' +
      '(5511999990000@s.whatsapp.net or …@lid), a Meta business-scoped user id (BR.1502576394655843) or a group id (…@g.us). ' +
      'Retrying will not help.',
    false,
  );
}

/** The recipient as one canonical string (what the sent-message log stores). */
export function formatRecipient(recipient: Recipient): string {
  if (recipient.kind === 'phone') return `+${recipient.digits}`;
  return recipient.kind === 'bsuid' ? recipient.id : recipient.jid;
}
