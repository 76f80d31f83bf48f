/**
 * WhatsApp JIDs → who the customer is. Since WhatsApp's move to LIDs (opaque `…@lid` ids) a chat can be
 * addressed by phone or by LID, and each Evolution version put the phone somewhere else:
 * - v2.3.5+: `remoteJid` is the `@lid`, the phone JID is in `remoteJidAlt`;
 * - v2.3.3–2.3.4: `remoteJidAlt` copied over `remoteJid` (both hold the phone);
 * - v2.3.1–2.3.2: `remoteJid` swapped to the phone (`senderPn`), the LID kept in `previousRemoteJid`;
 * - no phone anywhere (the stanza did not carry it): the LID itself is the identity (it can be replied to).
 * The phone wins whenever present, so one customer keeps one conversation key across versions.
 */
import type { EvolutionKey } from './schema.js';

export type ChatKind = 'direct' | 'group' | 'broadcast' | 'other';

const PHONE_SERVERS = ['@s.whatsapp.net', '@c.us'];

/** `5511900000001@s.whatsapp.net` or `5511900000001:12@s.whatsapp.net` (device suffix) → `5511900000001`. */
export function phoneOf(jid: string | undefined): string | undefined {
  if (jid === undefined) return undefined;
  const server = PHONE_SERVERS.find((suffix) => jid.endsWith(suffix));
  if (!server) return undefined;
  const user = jid.slice(0, -server.length).split(':')[0] ?? '';
  return /^\d{5,20}$/.test(user) ? user : undefined;
}

function isLid(jid: string | undefined): jid is string {
  return jid !== undefined && jid.endsWith('@lid') && jid.length > '@lid'.length;
}

/** A LID JID without its device suffix (`2000…:3@lid` → `2000…@lid`): stable per person. */
function lidOf(jid: string): string {
  const user = jid.slice(0, -'@lid'.length).split(':')[0] ?? '';
  return `${user}@lid`;
}

export function chatKindOf(remoteJid: string): ChatKind {
  if (remoteJid.endsWith('@g.us')) return 'group';
  // status@broadcast (WhatsApp Status posts), broadcast lists, and channels (newsletters): never a support chat.
  if (remoteJid.endsWith('@broadcast') || remoteJid.endsWith('@newsletter')) return 'broadcast';
  if (phoneOf(remoteJid) !== undefined || isLid(remoteJid)) return 'direct';
  return 'other';
}

/** The customer of a direct chat: phone digits when any field carries them, else the LID JID. */
export function customerOf(key: EvolutionKey): string | undefined {
  const phone = phoneOf(key.remoteJid) ?? phoneOf(key.remoteJidAlt) ?? phoneOf(key.senderPn);
  if (phone !== undefined) return phone;
  return isLid(key.remoteJid) ? lidOf(key.remoteJid) : undefined;
}

/** The author of a group message: phone when known, else the LID. */
export function participantOf(key: EvolutionKey): string | undefined {
  const phone = phoneOf(key.participant) ?? phoneOf(key.participantAlt);
  if (phone !== undefined) return phone;
  return isLid(key.participant) ? lidOf(key.participant) : isLid(key.participantAlt) ? lidOf(key.participantAlt) : undefined;
}
