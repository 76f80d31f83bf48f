/**
 * customer_info_collection: what an agent needs to pick the conversation up without asking again —
 * name, phone, document and account hints found in the conversation — with documents masked, because the
 * alert travels over WhatsApp and lands in agents' phones.
 */
import { maskCnpj, maskCpf, maskPhone } from '../../privacy.js';
import type { CustomerInfo } from './state.js';

export type { CustomerInfo } from './state.js';

const CPF = /\b(\d{3})\.?(\d{3})\.?(\d{3})-?(\d{2})\b/g;
const CNPJ = /\b(\d{2})\.?(\d{3})\.?(\d{3})\/?(\d{4})-?(\d{2})\b/g;
const EMAIL = /\b([\w.+-])[\w.+-]*@([\w-]+\.[\w.-]+)\b/g;
const CARD_OR_ACCOUNT_END = /\b(cart[aã]o|conta|ag[eê]ncia|maquininha|pedido)\s+(?:final|terminad[oa] em|n[ºo°]?\.?)\s*(\d{3,6})\b/gi;
const NAME = /\b(?:meu nome [eé]|me chamo|aqui [eé] (?:o|a))\s+([A-ZÁÉÍÓÚÂÊÔÃÕÇ][\p{L}]+(?:\s+[A-ZÁÉÍÓÚÂÊÔÃÕÇ][\p{L}]+){0,3})/u;

export function collectCustomerInfo(customerTexts: string[], known: { name?: string; phone?: string } = {}): CustomerInfo {
  const text = customerTexts.join('\n');
  const documents = new Set<string>();
  for (const m of text.matchAll(CNPJ)) documents.add(maskCnpj(m.slice(1).join('')));
  // CNPJ digits contain CPF-looking runs; strip CNPJs before looking for CPFs.
  const withoutCnpj = text.replace(CNPJ, ' ');
  for (const m of withoutCnpj.matchAll(CPF)) documents.add(maskCpf(m.slice(1).join('')));
  const emails = new Set<string>();
  for (const m of text.matchAll(EMAIL)) emails.add(`${m[1]}***@${m[2]}`);
  const accountHints = new Set<string>();
  for (const m of text.matchAll(CARD_OR_ACCOUNT_END)) accountHints.add(`${m[1]!.toLowerCase()} final ${m[2]!.slice(-4)}`);
  const nameInText = NAME.exec(text)?.[1];
  const name = known.name ?? nameInText;
  return {
    ...(name ? { name } : {}),
    ...(known.phone ? { phone: maskPhone(known.phone) } : {}),
    documents: [...documents],
    emails: [...emails],
    accountHints: [...accountHints],
  };
}
