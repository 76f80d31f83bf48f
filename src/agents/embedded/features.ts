/**
 * Turns a conversation into a sparse TF-IDF vector over four kinds of terms, each L2-normalised on its own
 * and then weighted, so long conversations do not drown short ones:
 *   - `w:` stemmed words (stopwords dropped),
 *   - `b:` pairs of consecutive stemmed words ("nao cheg", "cartao clonado"), and of consecutive content words
 *     across stopwords ("cartao credit" from "cartao de credito"),
 *   - `c:` character 3–4-grams of each normalised word with boundary marks ("<maq", "ninha>") — these keep
 *     a typo'd or truncated word close to the right one,
 *   - `t:` tone words (`offTopicWords`: asking for a person, anger, politeness), kept out of the three topic
 *     blocks. Their columns come last (from `topicDimension` on): the typifier never trains on them, the
 *     escalation classifiers do.
 * Bot turns count less than customer turns: they often restate the topic, but the customer's words decide;
 * the first substantive customer message counts more: it usually states the main issue; the escalation
 * signals that say something about the topic (a problem, not a question; a security concern) are words too; a side remark of
 * the customer ("aliás, …", "… mas isso vejo depois") counts less: it is not the issue.
 */
import type { ConversationMessage } from '../model.js';
import { messageTokens } from './asides.js';
import { detectSignals, type EscalationSignals } from './signals.js';
import { isOffTopic, isStopword, normalizeTokens, stem } from './normalize.js';

export interface FeatureOptions {
  /** Weight of the stemmed-word block. @default 1 */
  wordWeight: number;
  /** Weight of the word-pair block. @default 0.9 */
  bigramWeight: number;
  /**
   * Also pair each content word with the previous content word across the stopwords between them ("cartao de
   * credito" → "cartao credito", "limite do pix" → "limite pix"), so "limite pix" and "limite do pix" meet.
   * Measured (repeated 5-fold CV, seeds 42/1/2): BU +0.3, path +0.5, customer-only rough +0.5/+0.5. @default true
   */
  contentPairs: boolean;
  /** Weight of the character n-gram block. @default 1 */
  charWeight: number;
  /** Shortest and longest character n-gram (5-grams measured: no gain, 35 % more work). @default [3, 4] */
  charRange: readonly [number, number];
  /** Multiplier for terms from bot (and human agent) turns. @default 0.4 */
  botTurnWeight: number;
  /** A term must appear in at least this many training documents (drops one-off typos and names). @default 2 */
  minDocumentFrequency: number;
  /** Multiplier for the first substantive customer message (where the main issue is usually stated). @default 2 */
  firstCustomerWeight: number;
  /**
   * The statement of the issue goes on into the next customer messages until it holds this many topic words
   * (not stopwords, not tone words): "oi" / "minha maquina" / "nao liga mais" is one statement split in
   * short messages, and "me transfere pra alguem" / "e sobre a renegociacao" states the issue second. Those
   * messages get `firstCustomerWeight` too. Measured (repeated 5-fold CV, seeds 42/1/2): 4 words +0.2 path
   * as written, +0.2 customer-only rough, +2 and +2 conversations of the independent rough sets; 6–8 gain
   * more on customer-only rough but not on the others, 10+ and "until the bot answers" lose. @default 4
   */
  firstIssueWords: number;
  /** Move `offTopicWords` (tone, politeness, asking for a person) out of the topic blocks into `t:`. @default true */
  dropOffTopicWords: boolean;
  /** Weight of the tone-word block. @default 1 */
  toneWeight: number;
  /**
   * Multiplier for the words of a customer's side-remark sentence ("aliás, …", "aproveitando: …", "… mas isso
   * vejo depois"; asides.ts): the guide labels the main issue, and a side remark names another topic.
   * Measured (repeated 5-fold CV, seeds 42/1/2): 0.5 / 0.4 / 0.3 / 0.1 all ≈ +0.5 path as written. @default 0.4
   */
  asideWeight: number;
  /**
   * Count of each `topicSignals` term in the word block when the guide's signal holds (signals.ts). A problem
   * rather than a question splits many pairs of sibling leaves (a sale not credited vs when sales are
   * credited, a higher fee vs the fee table, a link that fails vs how to create one), and a security concern
   * separates a debit the customer does not recognise from a transfer that did not arrive. Measured (repeated
   * 5-fold CV, seeds 42/1/2): 2 → path as written unchanged, customer-only rough +0.9; 1 +0.3, 3 as 2. @default 2
   */
  signalWeight: number;
}

export const defaultFeatureOptions: FeatureOptions = {
  wordWeight: 1,
  bigramWeight: 0.9,
  contentPairs: true,
  charWeight: 1,
  charRange: [3, 4],
  botTurnWeight: 0.4,
  minDocumentFrequency: 2,
  firstCustomerWeight: 2,
  firstIssueWords: 4,
  dropOffTopicWords: true,
  toneWeight: 1,
  asideWeight: 0.4,
  signalWeight: 2,
};

/** The escalation signals that also say something about the topic; tone signals (anger, a person asked for) do not. */
const topicSignals = ['securityConcern', 'describesProblem', 'complexIssue', 'systemLimitation', 'multipleAttempts'] as const satisfies readonly (keyof EscalationSignals)[];

/** `@signal` terms for the topic signals that hold in the customer's words (no word can start with "@"). */
export function signalTerms(messages: readonly ConversationMessage[], options: FeatureOptions): string[] {
  if (!(options.signalWeight > 0)) return [];
  const signals = detectSignals(messages);
  return topicSignals.filter((name) => signals[name]).map((name) => `@${name}`);
}

/**
 * A message that says something beyond a greeting: at least two words that are not stopwords. "oi", "bom dia",
 * "e ai, tudo certo?" are not where the customer states the issue, even when they come first.
 */
function isSubstantive(text: string): boolean {
  let words = 0;
  for (const token of normalizeTokens(text)) if (!isStopword(token) && ++words >= 2) return true;
  return false;
}

function topicWordCount(text: string): number {
  let words = 0;
  for (const token of normalizeTokens(text)) if (!isStopword(token) && !isOffTopic(token)) words++;
  return words;
}

/**
 * Weight of each message's terms: bot turns count less; the customer's statement of the issue (the first
 * substantive message, continued until it holds `firstIssueWords` topic words) may count more.
 */
export function messageWeights(messages: readonly ConversationMessage[], options: FeatureOptions): number[] {
  let mainIssueFound = options.firstCustomerWeight === 1;
  // Files written before the option existed weigh the first substantive message alone.
  const wanted = options.firstIssueWords ?? 0;
  let statementWords = 0;
  let statementOpen = false;
  return messages.map((message) => {
    if (message.role !== 'customer') return options.botTurnWeight;
    if (statementOpen) {
      statementWords += topicWordCount(message.text);
      statementOpen = statementWords < wanted;
      return options.firstCustomerWeight;
    }
    if (mainIssueFound || !isSubstantive(message.text)) return 1;
    mainIssueFound = true;
    statementWords = topicWordCount(message.text);
    statementOpen = statementWords < wanted;
    return options.firstCustomerWeight;
  });
}

export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

type Block = 'w' | 'b' | 'c' | 't';

interface KnownToken {
  stem: string;
  /** Column of the stemmed word, or -1 (stopword or unseen). */
  wordColumn: number;
  /** Columns of the token's known character n-grams (repeats kept: they count). */
  charColumns: Int32Array;
  /** Not a stopword. */
  content: boolean;
}

/** Sublinear term frequency; a bot turn's term (weight < 1) counts less than one customer occurrence. */
function termFrequency(count: number): number {
  return count >= 1 ? 1 + Math.log(count) : count;
}
const blocks: readonly Block[] = ['w', 'b', 'c', 't'];

/** Raw weighted term counts of a conversation, one map per block. */
export function extractTerms(messages: readonly ConversationMessage[], options: FeatureOptions): Map<string, number>[] {
  const counts = blocks.map(() => new Map<string, number>());
  const [words, pairs, chars, tone] = counts as [Map<string, number>, Map<string, number>, Map<string, number>, Map<string, number>];
  const add = (map: Map<string, number>, term: string, weight: number): void => {
    map.set(term, (map.get(term) ?? 0) + weight);
  };
  const [minN, maxN] = options.charRange;
  const messageWeight = messageWeights(messages, options);
  for (const [m, message] of messages.entries()) {
    const messageBase = messageWeight[m] as number;
    const { tokens, factors } = messageTokens(message.text, message.role === 'customer' ? options.asideWeight : 1);
    let previous: string | undefined;
    let previousContent: string | undefined;
    for (const [t, token] of tokens.entries()) {
      const weight = factors ? messageBase * (factors[t] as number) : messageBase;
      if (options.dropOffTopicWords && isOffTopic(token)) {
        add(tone, token, weight);
        continue;
      }
      const stemmed = stem(token);
      const content = !isStopword(token);
      if (content) add(words, stemmed, weight);
      if (previous !== undefined) add(pairs, `${previous} ${stemmed}`, weight);
      // "cartao de credito", "limite do pix": the two content words as a pair, across the stopwords between them.
      if (options.contentPairs && content && previousContent !== undefined && previousContent !== previous) add(pairs, `${previousContent} ${stemmed}`, weight);
      previous = stemmed;
      if (content) previousContent = stemmed;
      if (token.length < 2) continue;
      const marked = `<${token}>`;
      for (let n = minN; n <= maxN; n++) {
        for (let start = 0; start + n <= marked.length; start++) add(chars, marked.slice(start, start + n), weight);
      }
    }
  }
  for (const term of signalTerms(messages, options)) add(words, term, options.signalWeight);
  return counts;
}

/** A fitted vocabulary with inverse document frequencies; `transform` is what prediction calls. */
export class Featurizer {
  constructor(
    readonly options: FeatureOptions,
    /** term → column, per block. */
    readonly vocabulary: readonly Map<string, number>[],
    /** idf per column. */
    readonly idf: Float32Array,
  ) {}

  get dimension(): number {
    return this.idf.length;
  }

  /** Columns below this one are topic terms; the tone block's columns come after them. */
  get topicDimension(): number {
    return this.dimension - (this.vocabulary[3]?.size ?? 0);
  }

  static fit(documents: readonly (readonly ConversationMessage[])[], options: FeatureOptions = defaultFeatureOptions): Featurizer {
    const documentFrequency = blocks.map(() => new Map<string, number>());
    for (const document of documents) {
      extractTerms(document, options).forEach((terms, block) => {
        const df = documentFrequency[block] as Map<string, number>;
        for (const term of terms.keys()) df.set(term, (df.get(term) ?? 0) + 1);
      });
    }
    const vocabulary = blocks.map(() => new Map<string, number>());
    const idf: number[] = [];
    const total = documents.length;
    documentFrequency.forEach((df, block) => {
      // Sorted so the column order (and so every float sum) is the same on every machine: determinism.
      for (const [term, count] of [...df.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (count < options.minDocumentFrequency) continue;
        (vocabulary[block] as Map<string, number>).set(term, idf.length);
        idf.push(Math.log((total + 1) / (count + 1)) + 1);
      }
    });
    return new Featurizer(options, vocabulary, Float32Array.from(idf));
  }

  /**
   * The TF-IDF vector of a conversation. Same values as scoring `extractTerms`' counts, but per-token work
   * (stem, stopword check, character n-grams → columns) is cached: customers reuse a small vocabulary, and
   * building n-gram strings was most of the time per conversation.
   */
  transform(messages: readonly ConversationMessage[]): SparseVector {
    const pairVocabulary = this.vocabulary[1] as Map<string, number>;
    const toneVocabulary = this.vocabulary[3];
    // Weighted counts go into one dense scratch row (columns of the four blocks never overlap), with each
    // block's columns listed in first-seen order: the same values, in the same order, as a map per block,
    // without a map allocation and hash per term (this loop is most of the time per conversation).
    const counts = this.#scratch ??= new Float64Array(this.dimension);
    const seen = this.#seen ??= new Uint8Array(this.dimension);
    const touched: [number[], number[], number[], number[]] = [[], [], [], []];
    const add = (block: 0 | 1 | 2 | 3, column: number, weight: number): void => {
      if (seen[column] === 0) {
        seen[column] = 1;
        touched[block].push(column);
      }
      counts[column] = (counts[column] as number) + weight;
    };
    const messageWeight = messageWeights(messages, this.options);
    for (const [m, message] of messages.entries()) {
      const messageBase = messageWeight[m] as number;
      const { tokens, factors } = messageTokens(message.text, message.role === 'customer' ? this.options.asideWeight : 1);
      let previous: string | undefined;
      let previousContent: string | undefined;
      for (let t = 0; t < tokens.length; t++) {
        const token = tokens[t] as string;
        const weight = factors ? messageBase * (factors[t] as number) : messageBase;
        if (this.options.dropOffTopicWords && isOffTopic(token)) {
          const column = toneVocabulary?.get(token);
          if (column !== undefined) add(3, column, weight);
          continue;
        }
        const known = this.#token(token);
        if (known.wordColumn >= 0) add(0, known.wordColumn, weight);
        if (previous !== undefined) {
          const column = pairVocabulary.get(`${previous} ${known.stem}`);
          if (column !== undefined) add(1, column, weight);
        }
        if (this.options.contentPairs && known.content && previousContent !== undefined && previousContent !== previous) {
          const column = pairVocabulary.get(`${previousContent} ${known.stem}`);
          if (column !== undefined) add(1, column, weight);
        }
        previous = known.stem;
        if (known.content) previousContent = known.stem;
        for (const column of known.charColumns) add(2, column, weight);
      }
    }
    for (const term of signalTerms(messages, this.options)) {
      const column = (this.vocabulary[0] as Map<string, number>).get(term);
      if (column !== undefined) add(0, column, this.options.signalWeight);
    }
    const size = touched[0].length + touched[1].length + touched[2].length + touched[3].length;
    const indices = new Int32Array(size);
    const values = new Float32Array(size);
    const weights = [this.options.wordWeight, this.options.bigramWeight, this.options.charWeight, this.options.toneWeight];
    let at = 0;
    touched.forEach((columns, b) => {
      const start = at;
      let norm = 0;
      const scaled: number[] = [];
      for (const column of columns) {
        const value = termFrequency(counts[column] as number) * (this.idf[column] as number);
        counts[column] = 0;
        seen[column] = 0;
        indices[at++] = column;
        scaled.push(value);
        norm += value * value;
      }
      if (norm === 0) {
        for (let i = 0; i < scaled.length; i++) values[start + i] = scaled[i] as number;
        return;
      }
      const scale = (weights[b] as number) / Math.sqrt(norm);
      for (let i = 0; i < scaled.length; i++) values[start + i] = (scaled[i] as number) * scale;
    });
    return { indices, values };
  }

  #scratch: Float64Array | undefined;
  #seen: Uint8Array | undefined;

  readonly #tokens = new Map<string, KnownToken>();

  #token(token: string): KnownToken {
    const cached = this.#tokens.get(token);
    if (cached) return cached;
    const [wordVocabulary, , charVocabulary] = this.vocabulary as [Map<string, number>, Map<string, number>, Map<string, number>];
    const stemmed = stem(token);
    const charColumns: number[] = [];
    if (token.length >= 2) {
      const marked = `<${token}>`;
      const [minN, maxN] = this.options.charRange;
      for (let n = minN; n <= maxN; n++) {
        for (let start = 0; start + n <= marked.length; start++) {
          const column = charVocabulary.get(marked.slice(start, start + n));
          if (column !== undefined) charColumns.push(column);
        }
      }
    }
    const known: KnownToken = {
      stem: stemmed,
      wordColumn: isStopword(token) ? -1 : (wordVocabulary.get(stemmed) ?? -1),
      charColumns: Int32Array.from(charColumns),
      content: !isStopword(token),
    };
    // Bounded: a stream of random strings must not grow memory without limit.
    if (this.#tokens.size >= 100_000) this.#tokens.clear();
    this.#tokens.set(token, known);
    return known;
  }
}
