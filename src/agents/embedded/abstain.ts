/**
 * "No issue yet": some turns name no issue, so no leaf can be right and a self-service text would answer a
 * question nobody asked. Three kinds, each with its own question back:
 * - content-free: greetings, politeness, "?", "preciso de ajuda" → ask what the customer needs;
 * - product only: "queria ver uma coisa do meu cartao de credito" → ask which of that product's topics
 *   (the product's clarifying question);
 * - problem only: "to com um problema" / "n ta funcionando" → ask what happened, with what.
 * Decided on the customer's words after normalisation (so "n ta funcionando" and "não está funcionando"
 * meet): a turn names an issue as soon as one word is left that is not a stopword, a tone word, a
 * content-free word, a vague word (coisa, ver, funcionar, problema…) or a product name. Lexical on purpose:
 * the typifier always has some leaf it likes best (the greeting "oi" once went to
 * `document_selfie_validation`), and both models (embedded and Claude) get the same decision.
 * Measured on every labeled conversation (dev and both rough sets, as written and rewritten in rough
 * style): none is taken for underspecified (test/unit/embedded/abstain.test.ts).
 */
import type { ConversationMessage } from '../model.js';
import { triggeredReasons } from './escalation-rules.js';
import { collapseRepeats, isOffTopic, isStopword, normalizeTokens } from './normalize.js';
import { detectSignals } from './signals.js';

const words = (text: string): Set<string> => new Set(text.trim().split(/\s+/).map(collapseRepeats));

/** Words that open a conversation or ask for help without saying about what (normalised spelling). */
const contentFreeWords = words(
  'ola oie oii opa eai ei hey hello hi alo oi bom boa dia tarde noite madrugada tudo bem beleza blz td bom ' +
    'ajuda ajudar ajude ajudem socorro preciso precisava queria quero gostaria pode podem poderia consegue ' +
    'duvida duvidas pergunta perguntar informacao informacoes saber falar tenho tem uma um coisa coisinha ' +
    'ok okay certo entendi sim nao claro ta esta estou aqui ai alguem voce voces por favor obrigado valeu ' +
    'problema problemas questao assunto sobre isso favor moca moco amigo amiga senhor senhora pessoal equipe ' +
    'kk kkk rs haha hehe tchau ate mais abraco atendimento whatsapp mensagem',
);

/**
 * Words that say something is wrong, or that the customer wants to look at something, without saying
 * what: "n ta funcionando", "deu ruim", "quero ver uma coisa", "tem algo errado". Each of them fits
 * almost every leaf, so alone they decide none. Words that do pick a part of the tree stay out of this
 * list on purpose: "erro" (connection/payment errors), "caiu"/"chegou" (money not received), "bloqueado",
 * "recusado", "entrar", "usar".
 */
const vagueWords = words(
  'funciona funcionando funcionar funcionou funcione funcionam ' +
    'ver olhar olhada verificar checar resolver resolve resolvido entender explicar ' +
    'coisa coisas algo negocio parada treco situacao caso detalhe ' +
    'errado estranho esquisito ruim deu dando da acontecendo acontecer aconteceu houve ' +
    'certo direito nada ainda mais agora hoje ontem faz tempo dias desde ' +
    'conseguindo consigo consegui meu minha seu sua dele dela com',
);

/**
 * Product names that leave the issue open — each product here has several motives, so naming it alone
 * does not say which answer fits. A word maps to the product whose clarifying question to ask, or to
 * `undefined` when it names a family of products ("cartao" alone: credit, debit, virtual, security?).
 * Two-word names ("cartao de credito") are read as pairs, see `productOf`.
 */
const productWords: ReadonlyMap<string, string | undefined> = new Map([
  ['cartao', undefined],
  ['credito', undefined],
  ['debito', undefined],
  ['conta', undefined],
  ['app', undefined],
  ['banco', undefined],
  ['maquininha', 'card_machine'],
  ['pix', 'pix'],
  ['emprestimo', 'personal_loan'],
  ['investimento', 'investments'],
  ['seguro', 'insurance'],
  ['fgts', 'fgts_payroll'],
  ['vendas', 'sales_receivables'],
  ['venda', 'sales_receivables'],
].map(([word, product]) => [collapseRepeats(word as string), product]));

/** What a customer said so far, as far as typification is concerned. */
export type IssueStatement =
  /** Names an issue: typify it. */
  | { kind: 'issue' }
  /** Greetings, politeness, "?": ask what they need. */
  | { kind: 'content_free' }
  /** A product and nothing about it; `product` is set when the product (taxonomy id) is unambiguous. */
  | { kind: 'product_only'; product?: string }
  /** Something is wrong, but not with what. */
  | { kind: 'problem_only' };

/** The product a set of product words names, when exactly one is meant ("cartao" + "credito" → credit_card). */
function productOf(named: ReadonlySet<string>): string | undefined {
  if (named.has('cartao')) {
    if (named.has('credito') && !named.has('debito')) return 'credit_card';
    if (named.has('debito') && !named.has('credito')) return 'debit_prepaid_card';
    return undefined;
  }
  const products = new Set([...named].map((word) => productWords.get(word)));
  return products.size === 1 ? [...products][0] : undefined;
}

/** Reads the customer's words of the conversation (the bot's are not the customer's issue). */
export function issueStatement(messages: readonly ConversationMessage[]): IssueStatement {
  const named = new Set<string>();
  let vague = false;
  for (const message of messages) {
    if (message.role !== 'customer') continue;
    for (const token of normalizeTokens(message.text)) {
      if (token.length < 2 || /^[0-9]+$/.test(token)) continue;
      if (isStopword(token) || isOffTopic(token) || contentFreeWords.has(token)) continue;
      if (productWords.has(token)) named.add(token);
      else if (vagueWords.has(token)) vague = true;
      else return { kind: 'issue' };
    }
  }
  if (named.size > 0) {
    const product = productOf(named);
    return product === undefined ? { kind: 'product_only' } : { kind: 'product_only', product };
  }
  return vague ? { kind: 'problem_only' } : { kind: 'content_free' };
}

/** True when some customer word names an issue (not only a greeting, a product name or "não funciona"). */
export function hasTopic(messages: readonly ConversationMessage[]): boolean {
  return issueStatement(messages).kind === 'issue';
}

/**
 * What the bot should ask instead of typifying, or undefined: the customer named an issue, or said
 * something the guide escalates on ("quero um atendente" names no issue but goes to a person).
 */
export function clarificationNeeded(messages: readonly ConversationMessage[]): Exclude<IssueStatement, { kind: 'issue' }> | undefined {
  const statement = issueStatement(messages);
  if (statement.kind === 'issue' || triggeredReasons(detectSignals(messages)).length > 0) return undefined;
  return statement;
}

/** Greetings and content-free turns only (kept for callers that only ask "is this a greeting?"). */
export function needsClarifyingGreeting(messages: readonly ConversationMessage[]): boolean {
  return clarificationNeeded(messages)?.kind === 'content_free';
}
