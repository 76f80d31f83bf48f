/**
 * What the bot says when it answers itself: the self-service answer of the typified submotive (product data
 * in src/taxonomy/self-service.json), one clarifying question when it is not sure, and the polite notice that
 * only text is understood. Never a bare "message received".
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

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

export interface BotReplyInput {
  /** Typified path ids, when the run produced one. */
  path: { businessUnit: string; product: string; motive: string; submotive: string } | null;
  route: 'high' | 'medium' | 'low';
  /** The product chosen even when the path as a whole was not trusted. */
  productHint?: string;
}

/** Confident: the leaf's answer. Not confident: one clarifying question (per product when known). */
export function botReply(content: SelfServiceContent, input: BotReplyInput): { kind: 'answer' | 'clarifying_question'; text: string } {
  if (input.path && input.route !== 'low') {
    const answer = content.answers[input.path.submotive];
    if (answer) return { kind: 'answer', text: answer };
  }
  const product = input.path?.product ?? input.productHint;
  const question = (product && content.clarifyingQuestions[product]) || content.fallbackQuestion;
  return { kind: 'clarifying_question', text: question };
}

/** What agents receive when a customer writes while the conversation is with a person. */
export function forwardedMessageText(protocolNumber: string | undefined, customerName: string | undefined, text: string): string {
  return `💬 Nova mensagem do cliente${customerName ? ` ${customerName}` : ''}${protocolNumber ? ` (protocolo ${protocolNumber})` : ''}:\n${text}`;
}
