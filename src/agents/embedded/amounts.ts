/**
 * Money amounts written the many ways customers write them: "R$ 7.500,00", "7500 reais", "5 mil",
 * "7,5 mil", "10k", "dez mil", "R$5k". A bare number without a money cue ("protocolo 883120", "03/07",
 * "12x", "3,19%") is not an amount: guessing there would turn protocol numbers into "high value".
 */
import { foldText } from './normalize.js';

const numberWords: Readonly<Record<string, number>> = {
  um: 1, uma: 1, dois: 2, duas: 2, tres: 3, quatro: 4, cinco: 5, seis: 6, sete: 7, oito: 8, nove: 9, dez: 10,
  onze: 11, doze: 12, quinze: 15, vinte: 20, trinta: 30, quarenta: 40, cinquenta: 50, cem: 100,
};

const moneyContext =
  /\b(vend[ia]|venda|vendas|pix|ted|transferi|transferencia|paguei|pagamento|mandei|enviei|valor|saldo|resgat|depositei|deposito|caiu|cair|cobrad|cobraram|debitad|descontad|estorn|recebi|receber|fatura|emprestimo|parcela|boleto)/;
const identifierBefore = /(protocolo|numero|n[oº°]|nsu|pedido|codigo|cpf|cnpj|cep|agencia|conta|chamado|contrato|ano|senha)\W*$/;

/** "7.500,00" → 7500; "7,5" → 7.5; "7500" → 7500; "1.2" (with k/mil) → 1.2. */
function parseNumber(raw: string): number {
  if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(raw)) return Number(raw.replace(/\./g, '').replace(',', '.'));
  if (/^\d+,\d+$/.test(raw)) return Number(raw.replace(',', '.'));
  if (/^\d+\.\d{1,2}$/.test(raw)) return Number(raw);
  return Number(raw.replace(/[.,]/g, ''));
}

/** Every amount in reais found in `text`, in order of appearance. */
export function findAmounts(text: string): number[] {
  const folded = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
  const amounts: number[] = [];
  const pattern =
    /(r\$\s*)?(\d[\d.,]*\d|\d)\s*(mil\b|k\b|reais\b|real\b|conto[s]?\b|pila[s]?\b)?(\s*reais\b)?/g;
  for (const match of folded.matchAll(pattern)) {
    const [, currency, digits = '', multiplier, trailingReais] = match;
    const before = folded.slice(Math.max(0, (match.index ?? 0) - 1), match.index ?? 0);
    const after = folded.slice((match.index ?? 0) + match[0].length, (match.index ?? 0) + match[0].length + 1);
    if (/[\d/:.-]/.test(before) || /^[/:%x-]/.test(after)) continue; // dates, times, percentages, "12x"
    const thousandsFormatted = /^\d{1,3}(\.\d{3})+(,\d{2})?$/.test(digits) || /^\d+,\d{2}$/.test(digits);
    // A bare 4–6 digit number counts when money words surround it ("vendi 6000 no credito") and no
    // identifier word precedes it ("protocolo 883120", "pedido 12345").
    const context = folded.slice(Math.max(0, (match.index ?? 0) - 40), (match.index ?? 0) + match[0].length + 25);
    const bareMoney =
      /^\d{4,6}$/.test(digits) &&
      !/^(19[5-9]\d|20[0-4]\d)$/.test(digits) && // a year
      moneyContext.test(context) &&
      !identifierBefore.test(folded.slice(Math.max(0, (match.index ?? 0) - 25), match.index ?? 0));
    if (!currency && !multiplier && !trailingReais && !thousandsFormatted && !bareMoney) continue;
    let value = parseNumber(digits);
    if (multiplier === 'mil' || multiplier === 'k') value *= 1000;
    if (Number.isFinite(value)) amounts.push(value);
  }
  // "dez mil", "cinco mil reais"
  for (const match of foldText(folded).matchAll(/\b([a-z]+) mil\b/g)) {
    const base = numberWords[match[1] ?? ''];
    if (base !== undefined) amounts.push(base * 1000);
  }
  return amounts;
}

/** The largest amount in the text, or 0. */
export function largestAmount(text: string): number {
  return findAmounts(text).reduce((max, value) => (value > max ? value : max), 0);
}
