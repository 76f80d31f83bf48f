/**
 * Rewrites a conversation the way customers actually type on WhatsApp: no accents, lowercase, chat
 * abbreviations, a few typos, punctuation dropped, long messages split into short ones. Used to augment
 * training (so the model sees rough spelling) and, with another seed, to build the rough-style CV fold.
 */
import type { ConversationMessage } from '../model.js';
import { seededRandom } from './random.js';

export interface RoughenOptions {
  /** Chance that a word that has a chat abbreviation is abbreviated. @default 0.6 */
  abbreviate: number;
  /** Chance of one typo in a word of 4+ letters. @default 0.08 */
  typo: number;
  /** Chance that a message with several sentences is split into short messages. @default 0.6 */
  split: number;
  /** Chance that accents are stripped from a message. @default 0.85 */
  stripAccents: number;
}

export const defaultRoughenOptions: RoughenOptions = { abbreviate: 0.6, typo: 0.08, split: 0.6, stripAccents: 0.85 };

// Full word → what people type instead (first one most often).
const shortForms: Record<string, string[]> = {
  voce: ['vc'], voces: ['vcs'], que: ['q', 'q', 'que'], porque: ['pq'], 'por que': ['pq'], nao: ['n', 'nao', 'ñ'],
  tambem: ['tb', 'tbm'], mesmo: ['msm'], muito: ['mt', 'mto'], muita: ['mta'], hoje: ['hj'], tudo: ['td'],
  para: ['pra', 'p', 'pra'], beleza: ['blz'], 'por favor': ['pfv', 'pf'], obrigado: ['obg', 'vlw'],
  obrigada: ['obg'], quando: ['qnd', 'qdo'], 'de novo': ['dnv'], ninguem: ['ngm'], comigo: ['cmg'],
  quanto: ['qto'], aqui: ['aki', 'aq'], agora: ['agr'], depois: ['dps'], mensagem: ['msg'], celular: ['cel'],
  certeza: ['ctz'], esta: ['ta', 'tá'], estou: ['to', 'tô'], estava: ['tava'], maquininha: ['maquina', 'maquininha', 'maq'],
  aplicativo: ['app'], transferencia: ['transf', 'transferencia'], dinheiro: ['dinheiro', 'grana'], whatsapp: ['zap', 'wpp'],
  cartao: ['cartao', 'cartão'], nada: ['nd', 'nada'], qualquer: ['qlq'], documento: ['doc'], documentos: ['docs'],
};

const keyboardNeighbours: Record<string, string> = {
  a: 'sqz', b: 'vn', c: 'xv', d: 'sf', e: 'wr', f: 'dg', g: 'fh', h: 'gj', i: 'uo', j: 'hk', k: 'jl', l: 'k',
  m: 'n', n: 'bm', o: 'ip', p: 'o', q: 'w', r: 'et', s: 'ad', t: 'ry', u: 'yi', v: 'cb', w: 'qe', x: 'zc', y: 'tu', z: 'x',
};

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function typo(word: string, random: () => number): string {
  const at = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.3) return word.slice(0, at) + word.slice(at + 1); // dropped letter
  if (kind < 0.55) return word.slice(0, at) + (word[at + 1] ?? '') + (word[at] ?? '') + word.slice(at + 2); // swap
  if (kind < 0.75) return word.slice(0, at) + (word[at] ?? '') + word.slice(at); // doubled letter
  const neighbours = keyboardNeighbours[word[at] ?? ''] ?? '';
  return neighbours ? word.slice(0, at) + pick([...neighbours], random) + word.slice(at + 1) : word;
}

function roughenText(text: string, random: () => number, options: RoughenOptions): string {
  let out = random() < options.stripAccents ? stripAccents(text) : text;
  out = out.toLowerCase();
  for (const [full, forms] of Object.entries(shortForms)) {
    const pattern = new RegExp(`\\b${full}\\b`, 'g');
    out = out.replace(pattern, (match) => (random() < options.abbreviate ? pick(forms, random) : match));
  }
  out = out
    .split(/(\s+)/)
    .map((word) => (/^[a-z]{4,}$/.test(word) && random() < options.typo ? typo(word, random) : word))
    .join('');
  // WhatsApp writers drop most punctuation except ? and !
  return out.replace(/[.;:"'()]+(\s|$)/g, '$1').replace(/,/g, random() < 0.5 ? '' : ',').replace(/\s+/g, ' ').trim();
}

/** A rough-style copy of `messages`; the same seed gives the same copy. */
export function roughenConversation(
  messages: readonly ConversationMessage[],
  seed: number,
  options: RoughenOptions = defaultRoughenOptions,
): ConversationMessage[] {
  const random = seededRandom(seed);
  const out: ConversationMessage[] = [];
  for (const message of messages) {
    if (message.role !== 'customer') {
      out.push({ ...message });
      continue;
    }
    const sentences = message.text.split(/(?<=[.!?])\s+/).filter((s) => s.trim() !== '');
    const parts = sentences.length > 1 && random() < options.split ? sentences : [message.text];
    for (const part of parts) {
      const text = roughenText(part, random, options);
      if (text !== '') out.push({ role: 'customer', text });
    }
  }
  return out;
}
