import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMessage, WHATSAPP_MAX_TEXT } from '../../../src/mcp/server/split-message.js';

const codePoints = (text: string): number => [...text].length;
const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);

describe('splitMessage', () => {
  it('keeps a message within the limit as one message', () => {
    expect(splitMessage('  Olá! Seu protocolo é 2026000123.  ')).toEqual(['Olá! Seu protocolo é 2026000123.']);
    const exactly = 'a'.repeat(WHATSAPP_MAX_TEXT);
    expect(splitMessage(exactly)).toEqual([exactly]);
  });

  it('splits a long text after whole sentences, never mid-sentence', () => {
    const sentence = 'Sua maquininha será trocada em até cinco dias úteis.';
    const text = Array.from({ length: 200 }, () => sentence).join(' ');
    const parts = splitMessage(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(codePoints(part)).toBeLessThanOrEqual(WHATSAPP_MAX_TEXT);
      expect(part.startsWith('Sua maquininha')).toBe(true);
      expect(part.endsWith('úteis.')).toBe(true);
    }
    expect(parts.join(' ')).toBe(text);
  });

  it('prefers paragraph breaks and keeps them inside a part', () => {
    const paragraph = 'Primeira frase do parágrafo. Segunda frase do parágrafo.';
    const text = Array.from({ length: 3 }, () => paragraph).join('\n\n');
    expect(splitMessage(text, 120)).toEqual([`${paragraph}\n\n${paragraph}`, paragraph]);
  });

  it('cuts a word longer than the limit without breaking an emoji', () => {
    const blob = '😀'.repeat(10);
    const parts = splitMessage(`Veja: ${blob}`, 4);
    for (const part of parts) {
      expect(codePoints(part)).toBeLessThanOrEqual(4);
      expect(part).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    }
    expect(parts.join('')).toBe(`Veja:${blob}`);
  });

  it('never exceeds the limit and never loses or reorders text (property)', () => {
    const noSpace = (text: string): string => text.replace(/\s+/g, '');
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.constantFrom('. ', '! ', '\n\n', ' ', '? ')), { maxLength: 120 }),
        fc.integer({ min: 5, max: 80 }),
        (chunks, max) => {
          const text = chunks.join('');
          fc.pre(text.trim().length > 0);
          const parts = splitMessage(text, max);
          for (const part of parts) expect(codePoints(part)).toBeLessThanOrEqual(max);
          expect(noSpace(parts.join(''))).toBe(noSpace(text));
          // When every word fits, parts break only between words: the words are exactly the original ones.
          if (words(text).every((word) => codePoints(word) <= max)) expect(parts.flatMap(words)).toEqual(words(text));
        },
      ),
      { numRuns: 300 },
    );
  });
});
