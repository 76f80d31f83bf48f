/**
 * What a customer's turn means right after the bot answered it with a self-service text and the new turn is
 * typified to the same answer: either the customer says the answer did not help ("não resolveu", "continua",
 * "já fiz isso", "não entendi"), or they add a detail or ask something more about the same issue ("cai qndo na conta?",
 * "quanto fica em 6x?"). Only the first gets "a orientação não resolveu"; the second gets the answer again,
 * introduced as the reply to what they just wrote.
 */

/** Lower case, no accents, letters and digits separated by single spaces. */
function fold(text: string): string {
  return ` ${text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9?]+/g, ' ')
    .replace(/\b(n|ñ)\b/g, 'nao')
    .replace(/\s+/g, ' ')
    .trim()} `;
}

/**
 * The customer reports the orientation failed or was already tried: a negated result ("não resolveu",
 * "não funcionou", "não adiantou"), a state that persists ("continua", "ainda não", "mesma coisa") or a step
 * already taken ("já fiz isso", "já tentei").
 */
const didNotHelp: readonly RegExp[] = [
  / nao (resolveu|resolve|funcionou|funciona|adiantou|adianta|deu certo|ajudou|ajuda|serviu|mudou|rolou) /,
  / (nada|nd) (mudou|resolveu|adiantou|feito) /,
  / (continua|continuo|persiste|permanece|ainda ta|ainda esta|ainda fica|ainda aparece|ainda da) /,
  / (mesma coisa|mesmo erro|mesmo problema|de novo o mesmo|igualzinho) /,
  / (ja fiz|ja tentei|ja testei|ja segui|ja refiz|fiz (isso|tudo|isso tudo|o que) |tentei (isso|tudo|de tudo)|isso ja fiz|ja fiz (isso|tudo)) /,
  / (nao tem|nao aparece|nao acho|nao achei|nao encontro|nao encontrei) (essa|esse|a|o)? ?(opcao|botao|menu|tela|caminho) /,
  / (sem sucesso|nao consegui|nao consigo) /,
  // Did not understand the orientation: sending it again would not help either.
  / (nao entendi|nao entendo|nao ficou claro|nao compreendi|ficou confuso|muito confuso) /,
];

export function saysAnswerDidNotHelp(customerTurn: string): boolean {
  const text = fold(customerTurn);
  return didNotHelp.some((pattern) => pattern.test(text));
}

const questionWords = / (quando|qndo|qnd|quanto|qnto|qto|como|cm|qual|quais|onde|pq|por que|porque|posso|da pra|tem como|e se|sera) /;
/** "quero bloquear e pedir outro", "preciso do comprovante": asking for something to be done. */
const requestWords = / (quero|qro|queria|preciso|precisava|gostaria|pode|podem|consegue) /;

/** A question (question mark or word), a request for something ("quero…"), or only a detail. */
export function followUpKind(customerTurn: string): 'question' | 'request' | 'detail' {
  const text = fold(customerTurn);
  if (customerTurn.includes('?') || questionWords.test(text)) return 'question';
  return requestWords.test(text) ? 'request' : 'detail';
}
