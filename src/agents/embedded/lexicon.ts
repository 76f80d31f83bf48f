/**
 * Word lists for Brazilian WhatsApp Portuguese. Keys and values are written already normalised (lowercase,
 * no accents); `normalize.ts` also collapses doubled letters on both sides, so "app" and "ap" meet.
 *
 * Why canonical forms matter here: the dev set has ~6 examples per leaf, so every spelling of the same
 * idea ("maquina", "maquininha", "maq", "pos") must land on one feature or the model never links them.
 */

/** Chat abbreviations → the full word(s). Only tokens that are unambiguous in this domain. */
export const abbreviations: Readonly<Record<string, string>> = {
  vc: 'voce', vcs: 'voces', voce: 'voce', ce: 'voce', oce: 'voce',
  q: 'que', pq: 'porque', porq: 'porque', oq: 'o que', qdo: 'quando', qnd: 'quando', qndo: 'quando',
  n: 'nao', ñ: 'nao', naum: 'nao', nn: 'nao',
  qro: 'quero', qria: 'queria', kero: 'quero', keria: 'queria',
  tb: 'tambem', tbm: 'tambem', tmb: 'tambem',
  blz: 'beleza', msm: 'mesmo', mt: 'muito', mto: 'muito', mta: 'muita', mts: 'muitos',
  hj: 'hoje', td: 'tudo', tds: 'todos', p: 'para', pra: 'para', pro: 'para o', pros: 'para os', pras: 'para as',
  cmg: 'comigo', ngm: 'ninguem', dnv: 'de novo', obg: 'obrigado', obgd: 'obrigado', obrigada: 'obrigado',
  vlw: 'valeu', pfv: 'por favor', pf: 'por favor', pfvr: 'por favor', plz: 'por favor',
  ta: 'esta', tah: 'esta', to: 'estou', tou: 'estou', tava: 'estava', tao: 'estao', tamo: 'estamos',
  qto: 'quanto', qt: 'quanto', qts: 'quantos', aki: 'aqui', aq: 'aqui', agr: 'agora', dps: 'depois',
  msg: 'mensagem', msgs: 'mensagens', cel: 'celular', ctz: 'certeza', fds: 'fim de semana', nd: 'nada',
  qlq: 'qualquer', qq: 'qualquer', kd: 'cade', vdd: 'verdade', sla: 'sei la', mds: 'meu deus',
  c: 'com', ent: 'entao', eh: 'e',
  // More of the same, as customers type them: quem, como, quanto, demais, fazer, vou, hora(s), pode, ontem,
  // obrigado, pagamento, contato, quase.
  qm: 'quem', cm: 'como', cmo: 'como', qnt: 'quanto', qnto: 'quanto', dms: 'demais', fzr: 'fazer', vo: 'vou',
  hr: 'hora', hrs: 'horas', pd: 'pode', onti: 'ontem', obgda: 'obrigado', brigado: 'obrigado', brigada: 'obrigado',
  pagto: 'pagamento', pgto: 'pagamento', ctt: 'contato', qse: 'quase',
  add: 'adicionar', info: 'informacao', infos: 'informacoes', doc: 'documento', docs: 'documentos',
  dinheiro: 'dinheiro', grana: 'dinheiro', din: 'dinheiro', bufunfa: 'dinheiro',
  reais: 'reais', real: 'reais', conto: 'reais', contos: 'reais', pila: 'reais', pilas: 'reais',
  cc: 'conta', ct: 'conta',
  transf: 'transferencia', trans: 'transferencia', tranferencia: 'transferencia',
  emprest: 'emprestimo', empretimo: 'emprestimo', emprestimo: 'emprestimo',
  cred: 'credito', deb: 'debito',
  whats: 'whatsapp', wpp: 'whatsapp', zap: 'whatsapp', zapzap: 'whatsapp', wts: 'whatsapp',
  atd: 'atendente', atendimento: 'atendimento',
  cpfs: 'cpf', cnpjs: 'cnpj',
};

/**
 * Domain synonyms → one canonical token. Applied after abbreviations, per token. Kept to words that mean
 * the same thing to this company's customers (all of these are "the card machine", etc.).
 */
export const domainSynonyms: Readonly<Record<string, string>> = {
  maquina: 'maquininha', maquinha: 'maquininha', maquininha: 'maquininha', maquinhinha: 'maquininha',
  maquinina: 'maquininha', maqininha: 'maquininha', maq: 'maquininha', maquinas: 'maquininha',
  maquininhas: 'maquininha', pos: 'maquininha', pinpad: 'maquininha', moderninha: 'maquininha',
  point: 'maquininha', terminal: 'maquininha', maquineta: 'maquininha',
  cartao: 'cartao', cartoes: 'cartao', cart: 'cartao', catao: 'cartao', crtao: 'cartao', carto: 'cartao',
  aplicativo: 'app', aplicatvo: 'app', apk: 'app', ap: 'app', app: 'app', aplicacao: 'app',
  celular: 'celular', telefone: 'celular', fone: 'celular', smartphone: 'celular', aparelho: 'celular',
  boleto: 'boleto', boletos: 'boleto', bolet: 'boleto',
  fatura: 'fatura', faturas: 'fatura', fatur: 'fatura',
  piks: 'pix', pics: 'pix', px: 'pix',
  senha: 'senha', senhas: 'senha', pin: 'senha',
  atendente: 'atendente', atendentes: 'atendente', humano: 'humano', humana: 'humano', operador: 'atendente',
  operadora: 'operadora', robo: 'robo', bot: 'robo', robozinho: 'robo',
  golpe: 'golpe', golpes: 'golpe', golpista: 'golpe', golpistas: 'golpe', fraude: 'fraude', fraudes: 'fraude',
  clonado: 'clonado', clonaram: 'clonado', clonou: 'clonado', clonada: 'clonado',
  estorno: 'estorno', extorno: 'estorno', estornar: 'estorno', extornar: 'estorno', reembolso: 'estorno',
  extrato: 'extrato', estrato: 'extrato',
  ted: 'ted', teds: 'ted',
  consignado: 'consignado', consig: 'consignado',
  fgts: 'fgts', fgt: 'fgts',
  serasa: 'negativado', spc: 'negativado', negativado: 'negativado', negativada: 'negativado', nome_sujo: 'negativado',
  limite: 'limite', limites: 'limite', lim: 'limite',
  parcela: 'parcela', parcelas: 'parcela',
};

/**
 * Domain words → a broader concept word added after them (the word itself is kept). Customers name the
 * specific thing ("cofrinho", "IPTU", "Sisbajud"); the taxonomy and most examples use the general word, so
 * the concept links a specific word seen once, or never, to the right part of the tree. General domain
 * knowledge of Brazilian banking, not phrases from any labeled set.
 */
export const domainConcepts: Readonly<Record<string, string>> = {
  // Savings and investment products.
  cofrinho: 'investimento', cofrinhos: 'investimento', caixinha: 'investimento', caixinhas: 'investimento',
  porquinho: 'investimento', cdb: 'investimento', cdbs: 'investimento', lci: 'investimento', lca: 'investimento',
  tesouro: 'investimento', poupanca: 'investimento', rendimento: 'investimento', rendimentos: 'investimento',
  rende: 'investimento', render: 'investimento', rendeu: 'investimento', resgate: 'investimento',
  resgatar: 'investimento', resgatei: 'investimento', aplicar: 'investimento', apliquei: 'investimento',
  investi: 'investimento', investir: 'investimento', investido: 'investimento',
  // Third-party bills paid from the account.
  iptu: 'boleto', ipva: 'boleto', condominio: 'boleto', mensalidade: 'boleto', darf: 'boleto',
  // Debt records and court orders.
  inadimplente: 'negativado', inadimplentes: 'negativado', protesto: 'negativado',
  sisbajud: 'judicial', bacenjud: 'judicial', penhora: 'judicial', penhorado: 'judicial', penhoraram: 'judicial',
  // Insurance words.
  sinistro: 'seguro', apolice: 'seguro',
  // Merchant fees.
  mdr: 'taxa', tarifa: 'taxa', tarifas: 'taxa', porcento: 'taxa', porcentagem: 'taxa', percentual: 'taxa',
};

/** Very frequent words with no topic (kept out of word features; char n-grams still see them). */
export const stopwords: ReadonlySet<string> = new Set(
  (
    'a o e de do da dos das em no na nos nas um uma uns umas que para por com se me eu meu minha meus minhas ' +
    'ele ela eles elas isso isto esse essa este esta estao estou ja mas ou ao aos as os te lhe sim ' +
    'oi ola bom boa dia tarde noite tudo bem obrigado por favor valeu beleza entao ai ne tipo la aqui ' +
    'foi ser era sou tem ter vou vai ate mais muito tambem so quando como onde qual quanto porque voce voces ' +
    'aconteceu gente kkk kkkk haha rs'
  ).split(' '),
);

/**
 * Words that say how the customer talks, not what the issue is: asking for a person, anger, politeness.
 * They are left out of the features entirely (no word, pair or character n-gram), so "quero falar com um
 * atendente" does not pull a conversation toward whichever leaf's examples happened to ask for one. The
 * escalation rules read the raw text, so they still see these words.
 */
export const offTopicWords: ReadonlySet<string> = new Set(
  (
    'atendente humano pessoa alguem falar ligar robo verdade ' +
    'absurdo palhacada incompetente incompetentes porcaria lixo ridiculo vergonha descaso procon reclame ' +
    'ladrao ladroes ladra safado safados sacanagem vagabundo vagabundos merda bosta pessimo horrivel nojo ' +
    'oi ola bom dia boa tarde noite obrigado por favor moca moco amigo amiga senhor senhora urgente'
  ).split(' '),
);
