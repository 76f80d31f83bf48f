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
/** zapflow's protocol numbers: `YYYYMMDD` (a real date, 2000–2099) + a 6-digit daily sequence, 14 bare digits. */
const PROTOCOL = /^20\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\d{6}$/;

/** Whether 14 digits carry valid CNPJ check digits (modulo 11, weights 5..2,9..2 then 6..2,9..2). */
export function isValidCnpj(digits: string): boolean {
  if (!/^\d{14}$/.test(digits) || /^(\d)\1{13}$/.test(digits)) return false;
  const check = (length: number) => {
    const weights = length === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const sum = weights.reduce((total, weight, i) => total + weight * Number(digits[i]), 0);
    const rest = sum % 11;
    return rest < 2 ? 0 : 11 - rest;
  };
  return check(12) === Number(digits[12]) && check(13) === Number(digits[13]);
}

/**
 * A protocol number, not a document: admins need it whole. A CNPJ written with its punctuation is always
 * masked; 14 bare digits shaped like a protocol (a date, then a sequence) are kept unless their check digits
 * make them a valid CNPJ.
 */
function isProtocolNumber(match: string): boolean {
  return PROTOCOL.test(match) && !isValidCnpj(match);
}

/** Masks CNPJs, CPFs and phone-like digit runs anywhere in a text (logs, reports, admin views); protocol numbers stay. */
export function scrubPersonalData(value: string): string {
  return value
    .replace(CNPJ, (m) => (isProtocolNumber(m) ? m : maskCnpj(m)))
    .replace(CPF, (m) => maskCpf(m))
    .replace(PHONE, (m) => (isProtocolNumber(m) || m.replace(/\D/g, '').length < 10 ? m : maskPhone(m)));
}
