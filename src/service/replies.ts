/**
 * What the bot says when it answers itself: the self-service answer of the typified submotive (product data
 * in src/taxonomy/self-service.json), one clarifying question when it is not sure, and the polite notice that
 * only text is understood. Never a bare "message received".
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { followUpKind, saysAnswerDidNotHelp } from './follow-up-turn.js';

const selfServiceSchema = z.object({
  version: z.literal(1),
  answers: z.record(z.string(), z.string().min(1)),
  clarifyingQuestions: z.record(z.string(), z.string().min(1)),
  fallbackQuestion: z.string().min(1),
});
export type SelfServiceContent = z.infer<typeof selfServiceSchema>;

export function loadSelfServiceContent(file = new URL('../taxonomy/self-service.json', import.meta.url)): SelfServiceContent {
  return selfServiceSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

export const TEXT_ONLY_NOTICE =
  'Por enquanto eu só consigo entender mensagens de texto 🙂. Pode escrever aqui o que você precisa?';

/** The customer opened the chat (Meta `request_welcome`) and has not written yet. */
export const WELCOME_GREETING =
  'Olá! 👋 Sou o assistente virtual de atendimento. Conte aqui, em uma mensagem, como posso ajudar.';
/** Greetings and content-free turns ("oi", "bom dia", "?"): ask what the customer needs. */
export const GREETING_QUESTION =
  'Olá! 😊 Sou o assistente virtual. Me conta em poucas palavras o que você precisa — por exemplo: "Pix não caiu", "fatura do cartão", "maquininha com defeito" ou "empréstimo".';
/** The same, when the greeting question was the bot's last message (never the same text twice in a row). */
export const GREETING_AGAIN =
  'Ainda não sei qual é o assunto 🙂. Pode escrever o que aconteceu? Se preferir falar com uma pessoa da equipe, é só escrever "atendente".';
/** Instead of sending a self-service text the customer already got in this conversation. */
export const REPEAT_FOLLOW_UP =
  'Parece que a orientação que enviei não resolveu 🙁. O que ainda está faltando? Me conta o que aparece para você. Se preferir, escreva "atendente" que eu chamo uma pessoa da equipe.';
/** The follow-up, when the follow-up itself was the last message. */
export const REPEAT_FOLLOW_UP_AGAIN =
  'Entendi que ainda não deu certo. Para não repetir a mesma orientação: quer falar com uma pessoa da equipe? É só responder "atendente". Ou me diga o que aparece na tela.';

export type BotReplyKind = 'answer' | 'clarifying_question' | 'greeting_question' | 'follow_up';

export interface BotReplyInput {
  /** Typified path ids, when the run produced one. */
  path: { businessUnit: string; product: string; motive: string; submotive: string } | null;
  route: 'high' | 'medium' | 'low';
  /** The product chosen even when the path as a whole was not trusted. */
  productHint?: string;
  /** What the bot already said in this conversation episode, oldest first. */
  earlierBotTexts?: readonly string[];
  /** What the customer wrote in this turn: a follow-up question is answered, "não resolveu" is not. */
  customerTurn?: string;
}

/** Before the same answer sent again: it answers the customer's new question or detail, not a repeat by mistake. */
export const FOLLOW_UP_LEADS = {
  question: 'Sobre a sua pergunta, o que vale para o seu caso é isto:',
  request: 'Para fazer isso, o caminho é este:',
  detail: 'Obrigado pelo detalhe! Para esse caso, o caminho é este:',
} as const;

/**
 * The bot's questions and notices (not answers): they name example topics ("Pix não caiu", "fatura do
 * cartão"…) that the customer did not raise, so they are left out of what the models typify.
 */
export function botPromptTexts(content: SelfServiceContent): ReadonlySet<string> {
  return new Set([
    GREETING_QUESTION, GREETING_AGAIN, REPEAT_FOLLOW_UP, REPEAT_FOLLOW_UP_AGAIN, TEXT_ONLY_NOTICE,
    content.fallbackQuestion, ...Object.values(content.clarifyingQuestions),
  ]);
}

/** `preferred`, unless it was the bot's last message: then `alternative`. */
function notTwiceInARow(preferred: string, alternative: string, earlier: readonly string[]): string {
  return earlier.at(-1) === preferred ? alternative : preferred;
}

/** The reply to a turn with no topic yet (see agents/embedded/abstain.ts). */
export function greetingReply(earlierBotTexts: readonly string[] = []): { kind: 'greeting_question'; text: string } {
  return { kind: 'greeting_question', text: notTwiceInARow(GREETING_QUESTION, GREETING_AGAIN, earlierBotTexts) };
}

/**
 * The reply to a turn that names no issue yet (see agents/embedded/abstain.ts): a greeting gets the greeting
 * question; a product alone gets that product's question ("o que sobre o cartão de crédito?"); a problem
 * with no product, or a product family ("meu cartão"), gets the question about what happened.
 */
export function clarifyingReply(
  content: SelfServiceContent,
  statement: { kind: 'content_free' | 'product_only' | 'problem_only'; product?: string },
  earlierBotTexts: readonly string[] = [],
): { kind: 'greeting_question' | 'clarifying_question'; text: string } {
  if (statement.kind === 'content_free') return greetingReply(earlierBotTexts);
  const reply = botReply(content, { path: null, route: 'low', earlierBotTexts, ...(statement.product ? { productHint: statement.product } : {}) });
  return { kind: 'clarifying_question', text: reply.text };
}

/**
 * Confident: the leaf's answer — unless the customer already got that answer in this episode: then ask
 * what is still missing and offer a person. Not confident: one clarifying question (per product when known).
 */
export function botReply(content: SelfServiceContent, input: BotReplyInput): { kind: BotReplyKind; text: string } {
  const earlier = input.earlierBotTexts ?? [];
  if (input.path && input.route !== 'low') {
    const answer = content.answers[input.path.submotive];
    if (answer && earlier.some((text) => text.endsWith(answer))) {
      // Same answer again: a customer who adds a detail or asks more about it ("cai qndo na conta?") gets it
      // again, introduced as the reply to what they wrote; one who says it did not help (now or earlier in the
      // episode), or whose last message already got exactly this text, is asked what is still missing and
      // offered a person.
      const turn = input.customerTurn;
      const toldItFailed = earlier.includes(REPEAT_FOLLOW_UP) || earlier.includes(REPEAT_FOLLOW_UP_AGAIN);
      if (turn !== undefined && !toldItFailed && !saysAnswerDidNotHelp(turn)) {
        const focused = `${FOLLOW_UP_LEADS[followUpKind(turn)]}\n\n${answer}`;
        if (earlier.at(-1) !== focused) return { kind: 'answer', text: focused };
      }
      return { kind: 'follow_up', text: notTwiceInARow(REPEAT_FOLLOW_UP, REPEAT_FOLLOW_UP_AGAIN, earlier) };
    }
    if (answer) return { kind: 'answer', text: answer };
  }
  const product = input.path?.product ?? input.productHint;
  const question = (product && content.clarifyingQuestions[product]) || content.fallbackQuestion;
  const alternative = question === content.fallbackQuestion ? GREETING_AGAIN : content.fallbackQuestion;
  return { kind: 'clarifying_question', text: notTwiceInARow(question, alternative, earlier) };
}

/** What agents receive when a customer writes while the conversation is with a person. */
export function forwardedMessageText(protocolNumber: string | undefined, customerName: string | undefined, text: string): string {
  return `💬 Nova mensagem do cliente${customerName ? ` ${customerName}` : ''}${protocolNumber ? ` (protocolo ${protocolNumber})` : ''}:\n${text}`;
}
