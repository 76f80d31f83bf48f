/**
 * A small hand-written pt-BR sentiment lexicon with VADER's scoring rules (Hutto & Gilbert, 2014), for the
 * escalation analysis' `emotion` and `urgency` fields. Why our own and not a port: LeIA (the MIT pt-BR port
 * of VADER) is Python-only and its ~7,500 words are general-purpose; `@nlpjs/lang-pt`'s AFINN list scored
 * "quero falar com um atendente humano agora" as positive. What matters here is a few hundred words customers
 * of a payments company use on WhatsApp, spelled the way they type them (the words go through the same
 * normalisation as the features: "vlw" → "valeu", "obg" → "obrigado", accents and doubled letters gone).
 *
 * Each entry has a valence (−4 … +4, VADER's scale) and the emotion of the labeling guide it is evidence of:
 * - `satisfaction` — thanks and praise after a solved issue ("deu certo", "perfeito", "agora foi");
 *   a bare "ok"/"valeu" is weak on purpose: customers close neutral chats with it too;
 * - `frustration` — waiting, repeating, disappointment ("demora", "de novo", "cansado", "ate agora nada");
 * - `anger` — insults and outrage ("absurdo", "palhacada", "ladrao"): the guide's "strong anger";
 * - `urgency` — alarm and hurry ("socorro", "urgente", "desesperado", "pelo amor de deus");
 * - `confusion` — not understanding ("nao entendi", "como assim", "confuso").
 * VADER's rules kept: a negation in the three words before flips and damps a word (× −0.74: "nao
 * funcionou" counts against), boosters and dampers ("muito", "pouco") move it by 0.293, a word in capitals
 * inside a message gains 0.733, each "!" (up to four) adds 0.292, and after "mas" the clause counts 1.5×
 * and the one before it 0.5×. `compound` = sum / √(sum² + 15), in −1 … 1.
 */
import { collapseRepeats, normalizeTokens } from './normalize.js';

export type EmotionCue = 'satisfaction' | 'frustration' | 'anger' | 'urgency' | 'confusion';

export interface SentimentScore {
  /** −1 (very negative) … 1 (very positive). */
  compound: number;
  /** Sum of the (signed, adjusted) valences of each cue's words. */
  cues: Record<EmotionCue, number>;
}

type Entry = readonly [valence: number, cue: EmotionCue];

const entries: Record<EmotionCue, Record<string, number>> = {
  satisfaction: {
    obrigado: 1.5, agradeco: 1.6, valeu: 1.2, ok: 0.3, beleza: 0.9, certo: 0.4, entendi: 0.4, perfeito: 3, perfeita: 3,
    otimo: 3, otima: 3, excelente: 3.2, maravilha: 3, maravilhoso: 3.2, show: 2, top: 2, massa: 1.8, legal: 1.8,
    consegui: 2, conseguimos: 2, resolveu: 2.5, resolvido: 2.5, resolvida: 2.5, funcionou: 2.5, ajudou: 2, ufa: 1.5,
    amei: 3, adorei: 3, feliz: 2.5, facil: 1.5, rapidinho: 1.5, achei: 1.2, pronto: 1, feito: 1, boa: 0.8, joia: 1.8,
    tranquilo: 1.2, sucesso: 2.5, incrivel: 3,
  },
  frustration: {
    demora: -1.5, demorando: -1.5, demorou: -1.5, demorado: -1.5, atrasado: -1.5, atrasada: -1.5, atraso: -1.5,
    cansado: -2, cansada: -2, chateado: -2, chateada: -2, decepcionado: -2.5, decepcionada: -2.5, decepcao: -2.5,
    insatisfeito: -2.5, insatisfeita: -2.5, complicado: -1.2, dificil: -1.2, pior: -2.5, ruim: -2, pessimo: -3,
    pessima: -3, horrivel: -3, triste: -2, aff: -1.5, afe: -1.5, poxa: -1, putz: -1.5, sacanagem: -2.5, descaso: -3,
    desrespeito: -3, enrolando: -2, enrolacao: -2, enrolam: -2, cansei: -2.2, chato: -1.5, chata: -1.5,
    prejudicado: -2.2, prejudicada: -2.2, prejuizo: -2, nada: -0.5, ninguem: -0.8, esperando: -0.8, aguardando: -0.6,
  },
  anger: {
    absurdo: -3, absurda: -3, palhacada: -3, ridiculo: -3, ridicula: -3, vergonha: -2.5, lixo: -3.5, porcaria: -3,
    incompetente: -3, incompetentes: -3, incompetencia: -3, ladrao: -3.5, ladroes: -3.5, ladra: -3.5, roubo: -3.5,
    roubalheira: -3.5, safado: -3.5, safados: -3.5, merda: -3.5, bosta: -3.5, pqp: -3, odio: -3.5, raiva: -3,
    revoltado: -3, revoltada: -3, revoltante: -3, indignado: -3, indignada: -3, inaceitavel: -3, piada: -2,
    vagabundo: -3.5, vagabundos: -3.5, procon: -2, processar: -2, palhaco: -3, palhacos: -3, inutil: -3, inuteis: -3,
  },
  urgency: {
    urgente: -1.5, urgencia: -1.5, socorro: -2, desesperado: -3, desesperada: -3, desespero: -3, imediatamente: -1,
    emergencia: -2, preocupado: -1.8, preocupada: -1.8, medo: -2, apavorado: -3, apavorada: -3, nervoso: -2, nervosa: -2,
  },
  confusion: {
    confuso: -1, confusa: -1, perdido: -1, perdida: -1, estranho: -0.8, esquisito: -0.8,
  },
};

/** Multi-word entries, matched on the normalised text before single words (their words are then skipped). */
const phrases: ReadonlyArray<readonly [string, number, EmotionCue]> = [
  ['deu certo', 2.5, 'satisfaction'], ['agora foi', 2.5, 'satisfaction'], ['era isso', 2, 'satisfaction'],
  ['muito obrigado', 2.2, 'satisfaction'], ['nao entendi', -1.2, 'confusion'], ['nao entendo', -1.2, 'confusion'],
  ['como assim', -0.8, 'confusion'], ['sera que', -0.4, 'confusion'], ['nao sei', -0.4, 'confusion'],
  ['de novo', -1, 'frustration'], ['ate agora nada', -1.8, 'frustration'], ['nada ainda', -1.5, 'frustration'],
  ['toda vez', -1, 'frustration'], ['ninguem resolve', -2.5, 'frustration'], ['pelo amor de deus', -2, 'urgency'],
  ['o mais rapido', -1.2, 'urgency'], ['reclame aqui', -2, 'anger'], ['nao funcionou', -1.8, 'frustration'],
  ['nao resolveu', -1.8, 'frustration'], ['nao deu certo', -1.8, 'frustration'],
];

const lexicon = new Map<string, Entry>();
for (const [cue, words] of Object.entries(entries) as Array<[EmotionCue, Record<string, number>]>) {
  // Tokens arrive with doubled letters collapsed ("socorro" → "socoro", "aff" → "af"): compare like with like.
  for (const [word, valence] of Object.entries(words)) lexicon.set(collapseRepeats(word), [valence, cue]);
}
/** Phrases by their first word: most tokens start none, so scoring stays a map lookup per token. */
const phrasesByFirstWord = new Map<string, Array<readonly [readonly string[], number, EmotionCue]>>();
for (const [text, valence, cue] of phrases) {
  const words = text.split(' ').map(collapseRepeats);
  const list = phrasesByFirstWord.get(words[0] as string) ?? [];
  list.push([words, valence, cue]);
  phrasesByFirstWord.set(words[0] as string, list);
}

const noWords: ReadonlySet<string> = new Set();
const negations = new Set(['nao', 'nunca', 'nem', 'jamais', 'sem', 'nenhum', 'nenhuma']);
const boosters = new Set(['muito', 'muita', 'demais', 'super', 'mega', 'extremamente', 'totalmente', 'tao', 'bem', 'mais']);
const dampers = new Set(['pouco', 'meio', 'quase', 'levemente']);
const BOOST = 0.293;
const CAPS = 0.733;
const EXCLAMATION = 0.292;
const NEGATE = -0.74;

function emptyCues(): Record<EmotionCue, number> {
  return { satisfaction: 0, frustration: 0, anger: 0, urgency: 0, confusion: 0 };
}

/** Words written in capitals (3+ letters) in a message that is not entirely in capitals… or is: on WhatsApp a message in capitals is shouting. */
function shoutedWords(text: string): Set<string> {
  const shouted = new Set<string>();
  for (const word of text.split(/[^A-Za-zÀ-ÿ]+/)) {
    if (word.length >= 3 && word === word.toUpperCase() && word !== word.toLowerCase()) {
      for (const token of normalizeTokens(word)) shouted.add(token);
    }
  }
  return shouted;
}

/** Scores one message: a valence per matched word or phrase, adjusted by VADER's rules. */
function scoreMessage(text: string, cues: Record<EmotionCue, number>): number {
  // Capitals are looked for only when there are some (most messages have none).
  const shouted = /[A-Z]{3}/.test(text) ? shoutedWords(text) : noWords;
  const tokens = normalizeTokens(text);
  const butAt = tokens.indexOf('mas');
  const scored: Array<{ at: number; valence: number; cue: EmotionCue }> = [];
  for (let i = 0; i < tokens.length; i++) {
    const phrase = phrasesByFirstWord.get(tokens[i] as string)?.find(([words]) => words.every((w, k) => tokens[i + k] === w));
    let valence: number;
    let cue: EmotionCue;
    let span = 1;
    if (phrase) {
      [, valence, cue] = phrase;
      span = phrase[0].length;
    } else {
      const entry = lexicon.get(tokens[i] as string);
      if (!entry) continue;
      [valence, cue] = entry;
      const previous = tokens[i - 1];
      if (previous !== undefined && boosters.has(previous)) valence += Math.sign(valence) * BOOST;
      if (previous !== undefined && dampers.has(previous)) valence -= Math.sign(valence) * BOOST;
      // "nao funcionou", "nunca resolveram": a negated word counts the other way, a little weaker. (Phrases carry their own negation.)
      if (tokens.slice(Math.max(0, i - 3), i).some((t) => negations.has(t))) {
        valence *= NEGATE;
        if (cue === 'satisfaction') cue = 'frustration';
      }
      if (shouted.has(tokens[i] as string)) valence += Math.sign(valence) * CAPS;
    }
    scored.push({ at: i, valence, cue });
    i += span - 1;
  }
  let sum = 0;
  for (const { at, valence, cue } of scored) {
    const weight = butAt < 0 ? 1 : at < butAt ? 0.5 : 1.5;
    sum += valence * weight;
    cues[cue] += valence * weight;
  }
  const exclamations = Math.min(4, (text.match(/!/g) ?? []).length);
  if (sum !== 0) sum += Math.sign(sum) * exclamations * EXCLAMATION;
  return sum;
}

function compound(sum: number): number {
  return sum / Math.sqrt(sum * sum + 15);
}

/** The sentiment of some messages (all of them count; pass the customer's only). */
export function sentimentOf(texts: readonly string[]): SentimentScore {
  return sentimentOfEach(texts).all;
}

/** The sentiment of all the messages and of the last one, each message scored once. */
export function sentimentOfEach(texts: readonly string[]): { all: SentimentScore; last: SentimentScore } {
  const cues = emptyCues();
  let sum = 0;
  let last: SentimentScore = { compound: 0, cues: emptyCues() };
  for (const text of texts) {
    const own = emptyCues();
    const score = scoreMessage(text, own);
    sum += score;
    for (const cue of Object.keys(own) as EmotionCue[]) cues[cue] += own[cue];
    last = { compound: compound(score), cues: own };
  }
  return { all: { compound: compound(sum), cues }, last };
}
