/**
 * Clear escalation signals read straight from the customer's words, written against folded text (no
 * accents, lowercase, doubled letters collapsed) so rough spelling matches too. Each pattern follows the
 * labeling guide (data/datasets/README.md), including what is NOT a trigger: a lost card without misuse,
 * a calm question about security, a person mentioned in passing, a large amount in a question.
 */
import type { ConversationMessage } from '../model.js';
import { largestAmount } from './amounts.js';
import { collapseRepeats, foldText, normalizeTokens } from './normalize.js';
import { sentimentOfEach, type SentimentScore } from './sentiment.js';

export interface EscalationSignals {
  securityConcern: boolean;
  explicitRequest: boolean;
  /** Largest amount in reais the customer wrote (0 when none). */
  largestAmount: number;
  /** The customer describes a problem (not only asks a question). */
  describesProblem: boolean;
  multipleAttempts: boolean;
  /** Insults, shouting in capitals, threats (Procon, Reclame Aqui, processo, cancel everything). */
  frustration: boolean;
  shouting: boolean;
  insult: boolean;
  threat: boolean;
  complexIssue: boolean;
  systemLimitation: boolean;
  /** Money being lost right now, or a merchant who cannot sell today. */
  ongoingLoss: boolean;
  urgentTone: boolean;
  confusedTone: boolean;
  /** The customer's words scored with the pt-BR sentiment lexicon (sentiment.ts): all of them, and the last message. */
  sentiment: SentimentScore;
  closingSentiment: SentimentScore;
}

/**
 * The text the patterns see has doubled letters collapsed ("pessoa" → "pessoa"); patterns are written in
 * normal spelling and collapsed the same way here (never across a backslash, so `\bbanco` keeps its \b).
 */
function compile<K extends string>(source: Record<K, RegExp[]>): Record<K, RegExp> {
  const out = {} as Record<K, RegExp>;
  for (const key of Object.keys(source) as K[]) {
    // One alternation per group: a single scan of the text instead of one per pattern.
    const alternatives = source[key].map((p) => `(?:${p.source.replace(/(?<!\\)([a-z])\1+/g, '$1')})`);
    out[key] = new RegExp(alternatives.join('|'));
  }
  return out;
}

const patterns = compile({
  security: [
    // Said indirectly: a debit or purchase the customer cannot place, made elsewhere, or with the card still in hand.
    /(compras?|debitos?|saques?|pix|transferencias?|cobrancas?|lancamentos?|assinaturas?|valor|valores|transac\w*|movimentac\w*)( \w+){0,6} que (eu )?(nao|nunca) (fiz|reconhec\w*|autorizei|contratei|assinei|pedi|solicitei|comprei|conheco|vi)\b/,
    /(nao sei|nem sei|nao faco ideia) (o )?(que|de onde|do que) (e|eh|foi|veio|vem|sao) (\w+ ){0,2}(ess|est|isso|iso)/,
    /nunca (vi|ouvi falar d)\w* (\w+ ){0,2}(compra|debito|cobranca|empresa|loja|nome|estabelecimento|valor|lancamento)/,
    /(compras?|debitos?|saques?|pix|cobrancas?|transac\w*) (\w+ ){0,6}(em|de|no|na) (outro|outra) (estado|cidade|pais)/,
    /(to|estou|estava|tava) (\w+ ){0,2}com o cartao (na mao|aqui)|cartao (esta |ta )?(aqui )?(comigo|na (minha )?mao)/,
    /(ligaram|ligou|ligacao|mandaram mensagem|mandou mensagem|me chamaram|me chamou) (\w+ ){0,4}(dizendo|falando|se dizendo|que (era|eram)|como se fosse)/,
    /(passei|informei|falei|dei|mandei) (o |a |meu |minha )?(codigo|token|senha) (\w+ ){0,3}(para|pro|ao|a|ele|ela)\b/,
    /pediram (para (eu )?)?(passar|informar|confirmar|digitar|mandar) (o |a |meu |minha )?(codigo|token|senha|dados)/,
    /(perfil|loja|site|vendedor|anuncio|pessoa)( \w+){0,8} (me )?bloque(ou|aram)|bloquearam (a gente|me|nos)|me bloqueou/,
    /(celular|cartao|carteira|bolsa|telefone) (\w+ )?(foi |foram )?levad/,
    /(esta|ta|estao|tao) (entrando|mexendo) (na|em) (minha )?conta/,
    /\bfraud/, /\bclonad/, /\bclonar/, /\bclonou/, /\bclonaram/, /\bestelionat/,
    /nao (reconhec(?!eu)|fiz (essa|esta|essas|estas|nenhuma|nenhum|a|as) ?(compras?|transac|pix|transferencia)?)/,
    /(compras?|debitos?|cobrancas?|transac\w*|movimentac\w*|saques?|pix|lancamentos?|valores?|acesso|login|dispositivo|aparelho) (\w+ )?desconhecid/,
    /nao fui eu/, /nunca (fiz|assinei|contratei|comprei|autorizei)/, /\binvadi(d|r|ram)/, /\bhacke/, /\braquea/,
    /(roubaram|furtaram|levaram) (meu|o|a|minha)? ?(celular|cartao|carteira|bolsa|telefone)/,
    /(celular|cartao|carteira) (foi )?(roubad|furtad)/, /\bassalt/,
    /alguem (esta |ta )?(usando|usou|mexendo|mexeu|entrou|acessou|logou|alterou|mudou)/,
    /falsa central|falso (funcionario|atendente|parente|suporte)|se passando|se passou|se dizendo/,
    /(dizendo|falando|disse|dizia) (que )?(era|ser) (meu|minha|do|da|de) /, /pediu (o |um )?codigo/,
    /(compras?|debitos?|saques?|pix|transferencias?) que (eu )?nao (fiz|reconhec|autorizei)/,
    /nao (alterei|mudei|autorizei|solicitei|pedi) (nada|isso|essa|esse|nenhuma)/,
    /nao foi eu/, /entraram na (minha )?conta/, /(mudaram|trocaram|alteraram) (a )?minha senha/,
    /(compras?|cobrancas?|debitos?|pix|transferencias?|movimentac\w*) estranh/, /(fui|me) (enganad|engabelad|roubad|furtad)|me enganaram/,
    /(boleto|link|site|central|ligacao|sms|mensagem|perfil|funcionario|atendente) fals/,
    /(sumiu|sumiram|tiraram|levaram) (\w+ ){0,3}(dinheiro|saldo|reais) (\w+ ){0,2}da (minha )?conta/,
  ],
  explicit: [
    /\bme (transfere|transfira|encaminha|encaminhe)( para| \.|$)/,
    /\bhumano/, /\bpessoa (de verdade|real|mesmo)/, /atendimento (humano|pessoal)/,
    /(falar|conversar|resolver|tratar|negociar) (isso |isto |direto |pessoalmente )?com (alguem|uma pessoa|um atendente|uma atendente|atendente|gente|um humano|o gerente|gerente|um gerente|supervisor|um supervisor|um especialista|especialista|um consultor|consultor|um responsavel)/,
    /(passa|passar|transfere|transferir|transfira|encaminha|encaminhar|coloca|colocar) (para) (um |uma |o |a )?(atendente|humano|pessoa|alguem|gerente|setor|especialista|consultor)/,
    /(quero|preciso|prefiro|posso|da para|tem como|gostaria de) (ligar|falar por telefone|resolver por telefone)/,
    /(numero|telefone|0800|contato) (para (eu )?|que (eu )?(possa|posso) )ligar/, /\bpor telefone com/,
    /alguem (da equipe |de voces |do banco |dai )?(me )?(atender|atenda|ligar|ligue|liga|retornar)/,
    /nao (quero|aguento) (mais )?(falar com |conversar com )?(o |um |esse |este )?(robo|maquina|mensagem automatica)/,
    /(tem|existe) (alguem|uma pessoa|algum atendente)/,
  ],
  problem: [
    /\bcontinua (aparecendo |em |como |me )?(em aberto|aberto|aberta|pendente|bloquead|negad|cobrando)/, /\b(a menos|em aberto)\b/, /\bnao (voltou|gera|carrega|abre)/,
    /\bnao (caiu|cairam|chegou|entrou|compensou|apareceu|aparece|volt|recebi|recebeu|foi|consigo|passa|funciona|libera)/,
    /\b(sumiu|sumiram|bloquead|bloquearam|retid|preso|presa|travad|recusad|negad|debitad|estornad|tiraram|perdi|errad)/,
    /\b(erro|defeito|reclama)/, /(?<!sem )\bproblema/, /\bcade\b/, /\b(contest|chargeback|disputa)/, /\bate agora (nada|nao)/,
    /\bnada ainda\b/, /\b(cobraram|descontaram) (a mais|errado|indevid)/,
    /\bera para ter (caido|chegado|entrado|compensado|sido)/, /\bainda nao\b/, /\be nada\b/, /\bnada (ate agora|ainda)\b/,
  ],
  multipleAttempts: [
    // Earlier contacts said other ways: back again, promises not kept, every week the same complaint.
    /^de novo\b|\bde novo aqui\b|\bvoltando aqui\b|\bvolto (aqui|a reclamar|a falar)/,
    /\bja (falei|reclamei|pedi|avisei|expliquei|informei) (isso|isto|sobre isso|antes)\b/,
    /(semana|mes) passad\w* (eu )?ja (falei|reclamei|pedi|entrei|liguei|escrevi)|ja (falei|reclamei|pedi|liguei|escrevi) (\w+ ){0,3}(semana|mes) passad/,
    /\b(voces|atendente|atendimento|suporte|central) (me )?(prometeram|prometeu|garantiram|garantiu)|\bprometeram (resolver|retornar|devolver|estornar)/,
    /\b(falaram|disseram|me falaram|me disseram|informaram) (que|q) (era|e|eh) (so )?(aguardar|esperar)/,
    /(toda semana|todo mes|todo dia|todos os dias) (eu )?(venho|volto|entro|escrevo|ligo|reclamo)|(venho|volto) (\w+ ){0,2}(reclamar|falar) (\w+ ){0,2}(da|a) mesma/,
    /ninguem (me )?(da|deu|dao) (um |uma |nenhum |nenhuma )?(resposta|retorno|solucao)/,
    /\b(segunda|terceira|quarta|quinta|0a) vez/, /\bpela (segunda|terceira|quarta|0a)/,
    /\bja (liguei|reclamei|escrevi|chamei|contatei|registrei|entrei em contato)/,
    /\bja (abri|fiz|registrei) (um |uma |o |a |dois |duas |tres |varios |varias )?(chamados?|reclamac\w*|protocolos?|solicitac\w*|contestac\w*|pedidos?)/,
    /\bja (mandei|enviei|pedi|expliquei|falei) (\w+ ){0,6}(duas|tres|quatro|varias|0) vezes/,
    /\bja (falei|conversei) com (voces|o atendimento|a central|o suporte|um atendente|uma atendente|o chat)/,
    /\bprotocolos? (numero |n |no )?0/, /\b(meu|um|outro|dois|tres|varios|esse|este|do) protocolo/, /\bchamados\b/,
    // An earlier case still open: "ja tenho protocolo aberto disso", "tem um chamado aberto".
    /\bja (tenho|tem|existe) (um |uma )?(protocolo|chamado|reclamac\w*|solicitac\w*)/, /\b(protocolo|chamado) (aberto|anterior|antigo)/,
    /ninguem (resolve|resolveu|me ajuda|me ajudou|responde|respondeu|faz nada|retorna)/,
    /quantas vezes (vou|eu vou|tenho|preciso|mais)/, /\bja (e|eh) a\b/, /(sempre|toda vez) (a|o) mesm(a|o) (resposta|coisa|historia)/,
    /\b(duas|tres|quatro|varias|0) vezes (aqui|no chat|por aqui|pelo chat|por telefone|na central|no app e)/,
    /(reclamei|liguei|escrevi|falei|pedi|mandei|enviei) (aqui |isso |o comprovante |os documentos )?(de novo|semana passada|mes passado|ontem e hoje|antes|em (janeiro|fevereiro|marco|abril|maio|junho|julho|agosto|setembro|outubro|novembro|dezembro))/,
    /\b(mesma|mesmo) (reclamacao|problema) (de novo|denovo|outra vez)/, /\bde novo (a|o) mesm/,
  ],
  insult: [
    /\b(porcaria|lixo|palhacada|palhaco|vergonha|absurdo|ridicul|piada|merda|incompetent|ladra|ladroes|ladrao|safad|vagabund|bosta|inuteis|inutil|enganam|enganacao|roubalheira|descaso|desrespeito|sem vergonha)/,
  ],
  threat: [
    /\bprocon/, /reclame ?aqui/, /\b(vou|vamos|vou ter que|posso) processar|processar (voces|o banco|a empresa)|\bprocesso contra|\bvai dar processo|\bentrar na justica|\bacionar (a )?justica/,
    /(vou|vamos) (cancelar|encerrar|fechar) tudo/, /\bbanco central\b.*(denunc|reclam)|(denunc|reclam).*\bbanco central\b/,
    /\bdenunciar\b/, /\bnunca mais\b/, /levar? (minhas vendas|meu dinheiro|tudo) (para) outr/, /\bconsumidor\.gov/,
  ],
  complex: [
    /ordem (de um |do |da )?(processo|juiz|justica)|por causa de (um )?processo|\bprocesso (judicial|trabalhista|na justica)/,
    /(travad|bloquead|presa|preso|suspens)\w* (\w+ ){0,2}(para|por|em) analise/,
    /bloqueio judicial|\bsisbajud|ordem judicial|\bpenhora|\bjudicial|\bliminar\b|\bvara (civel|federal|do trabalho|da familia)|\bjuiz\b/,
    /\bfalec|\bobito|\bfalecid|\binventari|\bespolio|\bmorreu/, /\bcurador|\bcuratela|\binterditad|\btutela\b|\bprocurac/,
    /\bsentenca\b|\bacao judicial|\bentrei com (uma )?acao|\badvogad|\bherdeir/,
    /conta (esta |ta |foi )?(em analise|bloqueada (para|por) analise)/, /(em|sob|para|por) analise de seguranca/, /bloquead\w* (para|por) analise/,
  ],
  chargebackDocuments: [/\b(chargeback|contestou|contestacao|contestaram|alega)/],
  documents: [/\b(tenho|com|mandei|envio|tenho a|tenho o) (a |o |as |os )?(nota fiscal|comprovante de entrega|rastreio|termo|assinatura|fotos?|prints?|video|canhoto)/],
  systemLimitation: [
    // Self-service already tried or not offered: the standard fixes done, the option missing, every customer failing.
    /\b(reiniciei|ja reiniciei|troquei (o |de )?chip|ja fiz tudo|fiz tudo (que|o que)|ja tentei tudo)/,
    /(opcao|botao|campo) (\w+ ){0,5}em lugar nenhum/,
    /(da|deu|dando) erro (para|com|em) (todo|todos|qualquer|cada)|\bnenhum (cliente )?consegue/,
    /\b(da|aparece|fica|trava|fecha) (\w+ ){0,3}toda vez\b/, /\bsempre (volta|vem|da|fica|aparece) (\w+ ){0,2}(recusad|negad|erro|invalid|reprovad)/,
    /nao (passa|passou|entra|entrou|sai|saiu) nenhuma venda|(perdi|perdendo) (\w+ ){0,2}vendas?/,
    /(toda vez|sempre) (que )?(eu )?(tento|vou|clico|abro|coloco|confirmo|entro)/, /\btoda vez (da|aparece)/, /\bacontece toda vez/,
    /\bsempre (da|aparece) (o )?(mesmo )?erro/, /mesmo erro/, /erro inesperado/, /servico indisponivel/,
    /\berro 0\b/, /\bfora do ar\b/, /(app|site) (nao abre|caiu|fecha sozinho|trava)/,
    /\b(ja )?(reinstalei|desinstalei)/, /\bja tentei de tudo/,
    /\btentei (varias|mil|umas 0|0|muitas|um monte de) vezes/, /(app|aplicativo|site) (\w+ )?nao (deixa|permite|tem (a )?opcao)/,
    /(app|aplicativo|site) (esta )?(travando|fora|com erro|bugado|dando erro)/,
    /(mudar|alterar|trocar|corrigir) (o |a )?(nome (do titular|da empresa|no cadastro)|razao social|titularidade|cnpj da conta)/,
    /nao (tenho|tem) como (terminar|fazer|concluir|resolver) (\w+ )?(por aqui|pelo app)/,
  ],
  ongoingLoss: [
    /nao (passa|passou|entra|sai|saiu) nenhuma venda|(perdi|perdendo) (\w+ ){0,2}vendas?/,
    /(esta|estao) (saindo|sumindo|fazendo compras|fazendo pix|usando|indo para)/, /\bagora\b.*(saindo|compras|pix)/,
    /(nao consigo|nao consegui|sem) (vender|receber de nenhum|passar (nenhuma )?venda)/, /\bnao (entrou|passou) (uma|nenhuma) venda/,
    /\binvadi(ram|da)/, /\bfila no caixa/, /uma (notificacao|compra) atras da outra/,
  ],
  urgent: [/\burgent/, /\bpreciso (disso |desse dinheiro |do dinheiro )?(hoje|agora|amanha|urgente)/, /\bo mais rapido/, /\bsocorro/, /\bme ajud(a|em) (por favor|pelo amor)/, /\bpelo amor de deus/],
  confused: [/\bnao entend/, /\bcomo (assim|funciona|faco|e que)/, /\bsera que/, /\bconfus/, /\bduvida/],
  notSecurity: [
    /(caso|se) (um dia )?(eu )?(caia|cair) (em|no|num) golpe/, /noticias? (de|sobre) golpe/,
    /(medo|evitar|contra|prevenir|cuidado com|nao cair|proteger|seguro|segura|seguranca) (de |em |no |do )?golpe/],
  insuranceContext: [/\b(sinistro|indenizac|seguro)/],
  /** An attendant mentioned in passing ("a atendente disse…") is not a request for one. */
  attendant: [/\batendente/],
  attendantInPassing: [/(a|o|uma|um|outra|outro) atendente (da |do |de |la |disse|falou|informou|pediu|mandou|explicou|me )/],
  /** An income or turnover ("faturo 6 mil por mes") is not money at stake. */
  income: [/(faturo|fatura|faturamento|ganho|salario|renda|recebo|passo|vendo|movimento)\b.{0,30}(por|ao) mes/],
  scam: [/\bgolpe/],
});

const acronyms = new Set(['PIX', 'CPF', 'CNPJ', 'TED', 'DOC', 'CDB', 'CDI', 'MEI', 'INSS', 'FGTS', 'NSU', 'RG', 'CNH', 'PDF', 'SMS', 'IPTU', 'IPVA', 'MED', 'PJ', 'PF', 'SPC', 'LTDA', 'ATM', 'NFC', 'QR', 'IR', 'OK', 'APP', 'CEP', 'BB', 'CEF', 'PIN', 'CVV', 'LG', 'SAC', 'VIP', 'ID', 'ME', 'EPP', 'IOF', 'TAC', 'CET', 'USD', 'WIFI', 'GPS', 'TV']);

const any = (pattern: RegExp, text: string): boolean => pattern.test(text);

/** Words of 3+ letters in capitals that are not acronyms: two or more read as shouting. */
function countShoutedWords(text: string): number {
  let count = 0;
  for (const word of text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').split(/[^A-Za-z]+/)) {
    if (word.length >= 3 && word === word.toUpperCase() && /[A-Z]/.test(word) && !acronyms.has(word)) count++;
  }
  return count;
}

/** Folded customer text used by the patterns: tokens normalised, doubles collapsed, joined by spaces. */
export function customerText(messages: readonly ConversationMessage[]): string {
  return messages
    .filter((m) => m.role === 'customer')
    .map((m) => normalizeTokens(m.text).join(' '))
    .join(' . ');
}

/**
 * The featurizer and the escalation analysis both read the signals of the conversation being analysed, one
 * right after the other: the last answer is kept (the signals depend on the customer's texts only).
 */
let last: { key: string; signals: Readonly<EscalationSignals> } | undefined;

export function detectSignals(messages: readonly ConversationMessage[]): Readonly<EscalationSignals> {
  const key = messages.filter((m) => m.role === 'customer').map((m) => m.text).join('\u0000');
  if (last?.key === key) return last.signals;
  const signals = Object.freeze(readSignals(messages));
  last = { key, signals };
  return signals;
}

function readSignals(messages: readonly ConversationMessage[]): EscalationSignals {
  const customerMessages = messages.filter((m) => m.role === 'customer');
  const raw = customerMessages.map((m) => m.text).join('\n');
  const text = customerText(messages);
  const plain = collapseRepeats(foldText(raw));
  const shouted = countShoutedWords(raw);
  const sentiment = sentimentOfEach(customerMessages.map((m) => m.text));
  const insult = any(patterns.insult, text);
  const threat = any(patterns.threat, text);
  const shouting = shouted >= 3 || (shouted >= 2 && /[!?]{2,}/.test(raw));
  // "nenhuma compra estranha" is the customer saying there was NO misuse: drop it before the security patterns.
  const securityText = text.replace(
    /\b(nenhuma?|sem|nao (teve|tem|apareceu|aparece|vi)( nenhuma?)?) (\w+ )?(compras?|movimentac\w*|cobrancas?|debitos?|transac\w*) (\w+ )?(estranh|desconhecid|suspeit)\w*/g,
    ' ',
  );
  const scam = any(patterns.scam, text) && !any(patterns.notSecurity, text);
  const theftForInsuranceClaim = any(patterns.insuranceContext, text);
  const security = any(patterns.security, securityText) && !(theftForInsuranceClaim && !scam);
  const attendantRequest = customerMessages.some((m) => {
    const words = normalizeTokens(m.text).join(' ');
    return any(patterns.attendant, words) && !any(patterns.attendantInPassing, words);
  });
  return {
    securityConcern: security || scam,
    explicitRequest: attendantRequest || any(patterns.explicit, text),
    largestAmount: any(patterns.income, text) ? 0 : largestAmount(raw),
    describesProblem: any(patterns.problem, text),
    multipleAttempts: any(patterns.multipleAttempts, text),
    frustration: insult || threat || shouting,
    shouting,
    insult,
    threat,
    complexIssue:
      any(patterns.complex, text) ||
      any(patterns.complex, plain) ||
      (any(patterns.chargebackDocuments, text) && any(patterns.documents, text)),
    systemLimitation: any(patterns.systemLimitation, text),
    ongoingLoss: any(patterns.ongoingLoss, text),
    urgentTone: any(patterns.urgent, text) || /!{2,}/.test(raw),
    confusedTone: any(patterns.confused, text),
    sentiment: sentiment.all,
    closingSentiment: sentiment.last,
  };
}
