/**
 * "No topic yet": a greeting or a content-free turn ("oi", "bom dia", "?", "preciso de ajuda") names no
 * issue, so no leaf can be right and a self-service text would answer a question nobody asked. The bot
 * asks what the customer needs instead. Decided on the customer's words after normalisation: a turn has a
 * topic as soon as one word is left that is not a stopword, a tone word or one of the content-free words
 * below. Measured on the dev set (every labeled conversation states an issue): none is taken for content-free.
 */
import type { ConversationMessage } from '../model.js';
import { triggeredReasons } from './escalation-rules.js';
import { collapseRepeats, isOffTopic, isStopword, normalizeTokens } from './normalize.js';
import { detectSignals } from './signals.js';

/** Words that open a conversation or ask for help without saying about what (normalised spelling). */
const contentFreeWords = new Set(
  (
    'ola oie oii opa eai ei hey hello hi alo oi bom boa dia tarde noite madrugada tudo bem beleza blz td bom ' +
    'ajuda ajudar ajude ajudem socorro preciso precisava queria quero gostaria pode podem poderia consegue ' +
    'duvida duvidas pergunta perguntar informacao informacoes saber falar tenho tem uma um coisa coisinha ' +
    'ok okay certo entendi sim nao claro ta esta estou aqui ai alguem voce voces por favor obrigado valeu ' +
    'problema problemas questao assunto sobre isso favor moca moco amigo amiga senhor senhora pessoal equipe ' +
    'kk kkk rs haha hehe tchau ate mais abraco atendimento whatsapp mensagem'
  )
    .split(' ')
    // Tokens arrive with doubled letters collapsed ("hello" → "helo"): compare like with like.
    .map(collapseRepeats),
);

/** True when some customer word names something (a product, an action, a problem). */
export function hasTopic(messages: readonly ConversationMessage[]): boolean {
  for (const message of messages) {
    if (message.role !== 'customer') continue;
    for (const token of normalizeTokens(message.text)) {
      if (token.length < 2 || /^[0-9]+$/.test(token)) continue;
      if (isStopword(token) || isOffTopic(token) || contentFreeWords.has(token)) continue;
      return true;
    }
  }
  return false;
}

/**
 * The bot should ask what the customer needs instead of typifying: no topic, and nothing the guide
 * escalates on ("quero um atendente" has no topic but goes to a person).
 */
export function needsClarifyingGreeting(messages: readonly ConversationMessage[]): boolean {
  return !hasTopic(messages) && triggeredReasons(detectSignals(messages)).length === 0;
}
