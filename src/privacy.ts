/**
 * Masks for personal data (LGPD): used by the logs, the agents' alerts and the admin API, so a phone
 * number or a document is masked the same way everywhere.
 */

/** 5511987654321 → 55119****4321: enough to tell two customers apart, not enough to call them. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length < 8) return '*'.repeat(digits.length);
  return `${digits.slice(0, 5)}${'*'.repeat(digits.length - 9)}${digits.slice(-4)}`;
}

/** 123.456.789-09 → ***.***.***-09 */
export function maskCpf(value: string): string {
  return `***.***.***-${value.replace(/\D/g, '').slice(-2)}`;
}

/** 12.345.678/0001-90 → **.***.***\/****-90 */
export function maskCnpj(value: string): string {
  return `**.***.***/****-${value.replace(/\D/g, '').slice(-2)}`;
}

/** Message text becomes its length: useful for debugging flows, useless for reading conversations. */
export function maskText(value: string): string {
  return `[text: ${value.length} chars]`;
}

const CPF = /\b\d{3}\.?\d{3}\.?\d{3}-?\d{2}\b/g;
const CNPJ = /\b\d{2}\.?\d{3}\.?\d{3}\/?\d{4}-?\d{2}\b/g;
// 10–15 digits, optionally with + and separators: Brazilian mobiles, E.164 numbers, JIDs (…@s.whatsapp.net).
const PHONE = /\+?\b\d(?:[\d\s().-]{8,18})\d\b/g;

/** Masks CNPJs, CPFs and phone-like digit runs anywhere in a text (logs, reports, admin views). */
export function scrubPersonalData(value: string): string {
  return value
    .replace(CNPJ, (m) => maskCnpj(m))
    .replace(CPF, (m) => maskCpf(m))
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 10 ? maskPhone(m) : m));
}
