/**
 * The parts of Evolution API v2 webhooks the receiver reads (EvolutionAPI/evolution-api, v2.0 to v2.3.6).
 * Versions differ (key fields, protobuf bytes as base64 or `{"0":n}` maps, Longs as strings or
 * `{low,high}`), so only the fields read are typed and everything else passes through untouched.
 */
import { z } from 'zod';
import { MAX_ID_LENGTH } from '../types.js';

const Id = z.string().min(1).max(MAX_ID_LENGTH);
/** Informational strings: a wrong type there is dropped, not a reason to refuse the delivery. */
const lenientString = z.string().optional().catch(undefined);
const lenientJid = z.string().min(1).max(MAX_ID_LENGTH).optional().catch(undefined);

/** `{ event, instance, data, … }`. Presence of `data` is checked separately (a zod `unknown` accepts "absent"). */
export const EvolutionEnvelopeSchema = z.object({
  event: z.string(),
  instance: z.unknown().optional(),
  data: z.unknown().optional(),
});

/** Baileys `WAMessageKey` as each Evolution version forwards it. */
export const EvolutionKeySchema = z.object({
  remoteJid: Id,
  id: Id,
  fromMe: z.boolean().optional(),
  /** v2.3.5+: the phone JID of an `@lid` chat (or the LID of a phone chat). */
  remoteJidAlt: lenientJid,
  /** v2.3.1–2.3.2 (Baileys 6.7): the phone JID of an `@lid` chat. */
  senderPn: lenientJid,
  /** Group author, as `@lid` or phone JID, and its alternate. */
  participant: lenientJid,
  participantAlt: lenientJid,
});
export type EvolutionKey = z.infer<typeof EvolutionKeySchema>;

export const EvolutionUpsertSchema = z.object({
  key: EvolutionKeySchema,
  pushName: lenientString,
  message: z.unknown().optional(),
  /** v2.1+: the quoted message's context, lifted to the top level. */
  contextInfo: z.unknown().optional(),
  messageTimestamp: z.unknown().optional(),
});
export type EvolutionUpsert = z.infer<typeof EvolutionUpsertSchema>;

/** `messages.update` (v2.3: `keyId` + `remoteJid`; older: `key` + `update.status`). */
export const EvolutionMessageUpdateSchema = z.object({
  keyId: lenientJid,
  messageId: z.unknown().optional(),
  remoteJid: lenientJid,
  key: z.object({ id: lenientJid, remoteJid: lenientJid }).optional().catch(undefined),
  status: z.unknown().optional(),
  update: z.object({ status: z.unknown().optional() }).optional().catch(undefined),
});
export type EvolutionMessageUpdate = z.infer<typeof EvolutionMessageUpdateSchema>;
