/**
 * WhatsApp text messages hold at most 4,096 characters. Longer texts are split where a reader would pause:
 * after a paragraph, then after a sentence, then between words; a single "word" longer than the limit (a URL,
 * a pasted blob) is cut hard. Lengths count code points, so an emoji is never cut in half.
 */

export const WHATSAPP_MAX_TEXT = 4096;

export function splitMessage(text: string, maxLength = WHATSAPP_MAX_TEXT): string[] {
  if (maxLength < 1) throw new RangeError('maxLength must be at least 1');
  const trimmed = text.trim();
  if (length(trimmed) <= maxLength) return [trimmed];

  const parts: string[] = [];
  let current = '';
  for (const piece of pieces(trimmed, maxLength)) {
    const joined = current ? `${current}${piece.separator}${piece.text}` : piece.text;
    if (length(joined) <= maxLength) {
      current = joined;
    } else {
      if (current) parts.push(current);
      current = piece.text;
    }
  }
  if (current) parts.push(current);
  return parts;
}

interface Piece {
  text: string;
  /** What stood before this piece in the original (kept when pieces are packed together again). */
  separator: string;
}

/** Paragraphs → sentences → words → hard cuts, each no longer than `max`. */
function pieces(text: string, max: number): Piece[] {
  const out: Piece[] = [];
  const paragraphs = text.split(/(\n\s*\n)/);
  for (let p = 0; p < paragraphs.length; p += 2) {
    const paragraph = paragraphs[p]?.trim() ?? '';
    if (!paragraph) continue;
    const paragraphSeparator = out.length === 0 ? '' : '\n\n';
    if (length(paragraph) <= max) {
      out.push({ text: paragraph, separator: paragraphSeparator });
      continue;
    }
    // A sentence ends with . ! ? or … (optionally followed by closing quotes/brackets) before whitespace.
    const sentences = paragraph.split(/(?<=[.!?…]["'”’)\]]*)\s+/);
    sentences.forEach((sentence, s) => {
      const sentenceSeparator = s === 0 ? paragraphSeparator : ' ';
      if (length(sentence) <= max) {
        out.push({ text: sentence, separator: sentenceSeparator });
        return;
      }
      sentence.split(/\s+/).forEach((word, w) => {
        const wordSeparator = w === 0 ? sentenceSeparator : ' ';
        hardCut(word, max).forEach((chunk, c) => out.push({ text: chunk, separator: c === 0 ? wordSeparator : '' }));
      });
    });
  }
  return out;
}

function hardCut(word: string, max: number): string[] {
  const codePoints = Array.from(word);
  const chunks: string[] = [];
  for (let i = 0; i < codePoints.length; i += max) chunks.push(codePoints.slice(i, i + max).join(''));
  return chunks;
}

function length(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
