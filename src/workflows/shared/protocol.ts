/**
 * Protocol numbers: what the customer writes down (Brazil's SAC rules require a tracking number).
 * Format `YYYYMMDD` + a 6-digit daily sequence, e.g. `20261125000042`: readable over the phone, sortable,
 * unique because the sequence comes from storage (one counter per day, shared by every process).
 *
 * One per run: the sequence value is allocated with the run id as idempotency key, so a retried or resumed
 * step gets the same number back instead of burning a second one.
 */
import type { Storage } from '../../engine/index.js';

// Building an Intl formatter costs more than formatting with it: one per process.
const SAO_PAULO_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Sao_Paulo', year: 'numeric', month: '2-digit', day: '2-digit' });

// Formatting is still ~10 µs, and every case and every turn's protocol step asks: the day is kept for the
// minute it was computed in (any time zone's day starts on a whole minute, so within one it cannot change).
let dayOfMinute: { minute: number; day: string } | undefined;

/** The calendar day in Brazil (São Paulo time), which is what the customer and the agent see. */
export function brazilDay(now: Date): string {
  const minute = Math.floor(now.getTime() / 60_000);
  if (dayOfMinute?.minute !== minute) dayOfMinute = { minute, day: SAO_PAULO_DATE.format(now).replaceAll('-', '') };
  return dayOfMinute.day;
}

export function formatProtocolNumber(day: string, sequence: number): string {
  if (!/^\d{8}$/.test(day)) throw new RangeError(`day must be YYYYMMDD, got "${day}"`);
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > 999_999) throw new RangeError(`sequence out of range: ${sequence}`);
  return `${day}${String(sequence).padStart(6, '0')}`;
}

export const PROTOCOL_PATTERN = /^\d{8}\d{6}$/;

export async function allocateProtocolNumber(storage: Storage, idempotencyKey: string, now: Date): Promise<string> {
  const day = brazilDay(now);
  const sequence = await storage.nextSequenceValue(`protocol:${day}`, idempotencyKey);
  return formatProtocolNumber(day, sequence);
}
