/**
 * Text normalisation shared by training and prediction, built to make rough WhatsApp spelling and careful
 * spelling meet on the same features: lowercase, no accents, doubled letters collapsed ("simmm", "passei" /
 * "pasei"), chat abbreviations expanded (vc, q, pq, n, tb, msm…), domain synonyms merged (maquina, maq,
 * pos → maquininha), digits folded to 0, and a light Portuguese stemmer for word features.
 */
import { abbreviations, domainConcepts, domainSynonyms, offTopicWords, stopwords } from './lexicon.js';

/** Lowercase, accents removed, anything but letters/digits turned into spaces. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    // "3,5%" names a rate: keep it as a word (fees, interest), not as punctuation.
    .replace(/%/g, ' porcento ')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Collapses any run of the same letter to one ("kkkk" → "k", "passei" → "pasei", "naaao" → "nao"). */
export function collapseRepeats(token: string): string {
  return token.replace(/([a-z])\1+/g, '$1');
}

function collapsedMap(source: Readonly<Record<string, string>>): Map<string, string> {
  const map = new Map<string, string>();
  const entries = Object.entries(source).map(([key, value]) => [collapseRepeats(foldText(key)), value, foldText(key)] as const);
  // A key already written without doubled letters wins over one that only collapses to it: "q" means
  // "que", and "qq" (qualquer), collapsed to "q", must not take it over.
  for (const [collapsed, value] of [...entries.filter((e) => e[0] === e[2]), ...entries.filter((e) => e[0] !== e[2])]) {
    if (!map.has(collapsed)) map.set(collapsed, value.split(' ').map(collapseRepeats).join(' '));
  }
  return map;
}

const abbreviationMap = collapsedMap(abbreviations);
const synonymMap = collapsedMap(domainSynonyms);
const conceptMap = collapsedMap(domainConcepts);
const stopwordSet = new Set([...stopwords].map(collapseRepeats));
const offTopicSet = new Set([...offTopicWords].map(collapseRepeats));

/**
 * The normalised word sequence of a text: folded, collapsed, abbreviations expanded, synonyms merged, and
 * a domain concept word added after a specific one ("cofrinho" → "cofrinho investimento").
 * Digit runs become "0" so amounts and dates share a feature without memorising values.
 */
export function normalizeTokens(text: string): readonly string[] {
  // The same message is normalised by the featurizer and by the escalation signals: memoise (bounded).
  const cached = recentTokens.get(text);
  if (cached) return cached;
  const out = tokenize(text);
  if (recentTokens.size >= 4096) recentTokens.clear();
  recentTokens.set(text, out);
  return out;
}

const recentTokens = new Map<string, readonly string[]>();

function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const raw of foldText(text).split(' ')) {
    if (raw === '') continue;
    const token = collapseRepeats(raw.replace(/[0-9]+/g, '0'));
    const expanded = abbreviationMap.get(token) ?? token;
    for (const word of expanded.split(' ')) {
      const canonical = synonymMap.get(word) ?? word;
      out.push(canonical);
      const concept = conceptMap.get(canonical);
      if (concept !== undefined && concept !== canonical) out.push(concept);
    }
  }
  return out;
}

export function isStopword(token: string): boolean {
  return stopwordSet.has(token);
}

/** A normalised token that carries tone or politeness but no topic (see `offTopicWords`). */
export function isOffTopic(token: string): boolean {
  return offTopicSet.has(token);
}

// Ordered longest-first within each group; the first matching suffix is removed (one per group).
const pluralSuffixes: Array<[string, string]> = [
  ['coes', 'cao'], ['oes', 'ao'], ['aes', 'ao'], ['ais', 'al'], ['eis', 'el'], ['ns', 'm'], ['es', ''], ['s', ''],
];
const derivationSuffixes = [
  'amentos', 'imentos', 'amento', 'imento', 'mente', 'acoes', 'icoes', 'acao', 'icao', 'ssem', 'aram', 'eram', 'iram',
  'ando', 'endo', 'indo', 'avam', 'ava', 'ados', 'adas', 'idos', 'idas', 'ado', 'ada', 'ido', 'ida', 'inho', 'inha',
  'ei', 'ou', 'eu', 'iu', 'ar', 'er', 'ir', 'am', 'em', 'a', 'e', 'o',
];

/**
 * A light Portuguese stemmer (after RSLP's plural and suffix steps, much simplified), capped at 7
 * letters: typos are most often at the end of a word, and a short stem still keeps the meaning here.
 */
export function stem(token: string): string {
  if (token.length <= 3 || /[0-9]/.test(token)) return token;
  let word = token;
  for (const [suffix, replacement] of pluralSuffixes) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      word = word.slice(0, word.length - suffix.length) + replacement;
      break;
    }
  }
  for (const suffix of derivationSuffixes) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      word = word.slice(0, word.length - suffix.length);
      break;
    }
  }
  return word.length > 7 ? word.slice(0, 7) : word;
}
