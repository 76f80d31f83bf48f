/** The masker keeps protocol numbers whole (admins need them) and still masks real CNPJs, CPFs and phones. */
import { describe, expect, it } from 'vitest';
import { isValidCnpj, scrubPersonalData } from '../../src/privacy.js';

describe('protocol numbers versus documents', () => {
  it('keeps protocol numbers, as the bot writes them to customers', () => {
    const text = 'Seu protocolo é 20261125000042. Protocolo anterior: 20260101000001.';
    expect(scrubPersonalData(text)).toBe(text);
  });

  it('still masks CNPJs (punctuated or bare, when the check digits are valid), CPFs and phone numbers', () => {
    expect(scrubPersonalData('CNPJ 11.222.333/0001-81')).toBe('CNPJ **.***.***/****-81');
    expect(scrubPersonalData('CNPJ 11222333000181')).toBe('CNPJ **.***.***/****-81');
    expect(scrubPersonalData('CPF 123.456.789-09')).toBe('CPF ***.***.***-09');
    expect(scrubPersonalData('ligue 5511987654321')).toBe('ligue 55119****4321');
  });

  it('a protocol-shaped number whose check digits make it a valid CNPJ is masked: a document wins', () => {
    const cnpjShapedLikeADate = '20261125000' + '1';
    const digits = [...Array(100).keys()].map((n) => `${cnpjShapedLikeADate}${String(n).padStart(2, '0')}`).find(isValidCnpj)!;
    expect(scrubPersonalData(`doc ${digits}`)).toBe(`doc **.***.***/****-${digits.slice(-2)}`);
  });
});
