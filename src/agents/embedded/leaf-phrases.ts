/**
 * Hand-written customer phrasings per leaf (written for this model, not taken from any labeled set): extra
 * training text next to the taxonomy's labels and descriptions. They carry the domain words customers use
 * that the formal descriptions lack ("roteador", "rastreio", "MED", "Sisbajud", "margem"), in the rough
 * spelling of WhatsApp, which is how the product is judged.
 */
export const leafPhrases: Readonly<Record<string, readonly string[]>> = {
  machine_delivery_delay: [
    'comprei a maquininha e ate agora nao chegou, o rastreio ta parado',
    'prazo de entrega da maquina venceu e nada do correio',
    'meu pedido da maquininha sumiu, codigo de rastreio nao atualiza',
  ],
  machine_activation: [
    'chegou a maquininha nova como eu ativo',
    'pede codigo de ativacao na maquina, onde acho',
    'como vinculo a maquininha no app e configuro o chip ou wifi primeira vez',
  ],
  machine_not_turning_on: [
    'a maquininha nao liga mais',
    'maquina desliga sozinha e a bateria nao carrega',
    'tela da maquininha apagada, coloquei no carregador e nada',
  ],
  machine_connection_error: [
    'maquininha sem sinal, da erro de comunicacao',
    'troquei o roteador e a maquina nao conecta no wifi',
    'chip da maquininha nao pega, transacao nao completa',
  ],
  machine_card_read_error: [
    'a maquininha nao le o cartao do cliente',
    'aproximacao nao funciona na maquina, so chip',
    'fica pedindo pra inserir o cartao de novo, erro de leitura do chip',
  ],
  machine_exchange_request: [
    'quero trocar a maquininha com defeito pela garantia',
    'me manda outra maquina, essa veio com problema',
    'como faco a troca da maquininha quebrada',
  ],
  machine_refund_request: [
    'quero devolver a maquininha e ter meu dinheiro de volta',
    'me arrependi da compra da maquina, quero cancelar o pedido',
    'estorno do valor que paguei na maquininha',
  ],
  receivables_when_credited: [
    'quando cai o dinheiro das vendas no debito',
    'vendi parcelado no credito, em quantos dias recebo',
    'venda de sabado cai em dia util?',
  ],
  receivables_plan_change: [
    'quero mudar meu plano pra receber na hora',
    'trocar o plano de recebimento de 30 dias pra 14 dias',
    'qual a taxa pra receber as vendas no mesmo dia',
  ],
  sale_not_credited: [
    'a venda passou na maquininha aprovada mas o dinheiro nao caiu na conta',
    'vendas de ontem nao entraram no saldo',
    'venda aprovada nao aparece no extrato de recebimentos',
  ],
  sale_amount_divergent: [
    'recebi a menos do que vendi',
    'o valor que caiu das vendas ta diferente, descontaram mais',
    'vendi 500 e caiu bem menos, desconto maior que a taxa',
  ],
  anticipation_request: [
    'quero antecipar minhas vendas parceladas',
    'quanto custa a antecipacao de recebiveis',
    'a opcao de antecipar nao aparece pra mim',
  ],
  fee_rates_doubt: [
    'qual a taxa da maquininha no debito e no credito',
    'quanto vcs cobram no parcelado em 12x',
    'a taxa promocional vale ate quando',
  ],
  fee_charged_higher: [
    'a taxa que descontaram ta maior que a combinada',
    'cobraram taxa de credito numa venda no debito',
    'me ofereceram uma taxa e to pagando outra, mais cara',
  ],
  payment_link_create: [
    'como gero um link de pagamento pra mandar pro cliente',
    'da pra parcelar no link de cobranca?',
    'quero vender online mandando link pelo whatsapp',
  ],
  payment_link_customer_error: [
    'meu cliente nao consegue pagar pelo link, da recusado',
    'o link de pagamento da erro na pagina',
    'cliente tentou pagar o link com varios cartoes e nao foi',
  ],
  chargeback_defense: [
    'recebi um chargeback, como mando a defesa',
    'qual o prazo pra contestar o chargeback e que documentos envio',
    'tenho nota fiscal e comprovante de entrega pra defender a contestacao',
  ],
  chargeback_amount_debited: [
    'tiraram do meu saldo o valor de uma venda por contestacao',
    'debitaram uma venda antiga, disseram que foi chargeback',
    'o dinheiro da venda foi estornado do meu saldo sem aviso',
  ],
  credit_card_denied: [
    'meu pedido de cartao de credito foi negado',
    'por que nao aprovaram meu cartao de credito',
    'como consigo ser aprovado no cartao de credito',
  ],
  credit_limit_increase: [
    'quero aumentar o limite do cartao',
    'meu limite ta muito baixo, como aumento',
    'limite garantido investindo no cdb, como funciona',
  ],
  bill_payment_not_processed: [
    'paguei a fatura e o limite nao liberou',
    'a fatura consta em aberto mas ja paguei',
    'pagamento da fatura nao baixou ainda',
  ],
  bill_installment_plan: [
    'quero parcelar a fatura do cartao',
    'se eu pagar o minimo da fatura quanto de juros',
    'juros do rotativo, da pra parcelar o saldo da fatura',
  ],
  bill_due_date_change: [
    'quero mudar o dia de vencimento da fatura',
    'a fatura nao chegou no meu email',
    'trocar data de vencimento do cartao',
  ],
  card_not_received: [
    'meu cartao ainda nao chegou',
    'o prazo de entrega do cartao ja passou',
    'cartao foi pra endereco errado, quero segunda via',
  ],
  card_activation: [
    'chegou o cartao, como desbloqueio',
    'da erro quando tento ativar o cartao no app',
    'ativar cartao de debito pra usar',
  ],
  card_password_reset: [
    'esqueci a senha do cartao',
    'errei a senha do cartao varias vezes e bloqueou',
    'quero trocar a senha do cartao',
  ],
  card_declined_purchase: [
    'minha compra no cartao foi recusada no mercado mesmo com saldo',
    'cartao de debito negado no posto',
    'passei o cartao na loja e deu transacao nao autorizada',
  ],
  card_block_lost_stolen: [
    'perdi meu cartao, quero bloquear',
    'roubaram minha carteira com o cartao, bloqueia e manda outro',
    'cartao ficou preso no caixa eletronico, quero bloquear e pedir novo',
  ],
  card_purchase_dispute: [
    'tem compra no meu cartao que eu nao fiz',
    'acho que clonaram meu cartao, compras desconhecidas',
    'loja cobrou duas vezes no cartao, quero contestar',
  ],
  virtual_card_create: [
    'onde gero o cartao virtual no app',
    'como excluo o cartao virtual',
    'cartao virtual temporario tem validade?',
  ],
  virtual_card_online_declined: [
    'cartao virtual recusado na compra online',
    'nao consigo pagar o uber com o cartao virtual',
    'assinatura do streaming recusa meu cartao virtual',
  ],
  pix_not_received: [
    'me mandaram um pix e nao caiu na conta',
    'fiz um pix e a pessoa diz que nao recebeu',
    'pix saiu da minha conta mas nao chegou no destino',
  ],
  pix_sent_by_mistake: [
    'mandei pix pra chave errada',
    'digitei o valor errado no pix, como peco devolucao',
    'fiz pix pra pessoa errada por engano',
  ],
  pix_key_register: [
    'como cadastro minha chave pix',
    'quero criar chave aleatoria e excluir a do email',
    'cadastrar cpf como chave pix nao vai',
  ],
  pix_key_portability: [
    'minha chave pix ta registrada em outro banco',
    'quero trazer minha chave pix de outro banco, portabilidade',
    'diz que a chave ja esta em uso em outra instituicao, reivindicar',
  ],
  pix_limit_change: [
    'quero aumentar meu limite do pix',
    'limite noturno do pix muito baixo',
    'pedi aumento de limite do pix, quanto tempo demora',
  ],
  pix_scam_report: [
    'cai num golpe no pix',
    'mandei pix pra golpista que se passou por parente',
    'falsa central me ligou e eu fiz pix, quero o med pra devolver',
  ],
  app_password_reset: [
    'esqueci a senha do app',
    'nao consigo entrar no aplicativo, codigo de verificacao nao chega',
    'recuperar senha de acesso da conta',
  ],
  new_device_validation: [
    'troquei de celular e nao consigo entrar na conta',
    'reconhecimento facial nao valida no celular novo',
    'como habilito o token no aparelho novo',
  ],
  account_blocked_review: [
    'minha conta foi bloqueada',
    'conta em analise e saldo retido',
    'pediram documentos pra desbloquear a conta',
  ],
  judicial_block: [
    'tem um bloqueio judicial na minha conta',
    'valor bloqueado por ordem judicial sisbajud',
    'bloquearam meu saldo por processo na justica',
  ],
  account_opening_denied: [
    'meu cadastro nao foi aprovado',
    'tentei abrir conta e negaram',
    'cadastro em analise faz dias, cpf com restricao',
  ],
  document_selfie_validation: [
    'a foto do meu documento foi rejeitada',
    'a selfie nao valida no cadastro',
    'mandei rg e cnh e recusaram a foto',
  ],
  update_phone_email: [
    'quero trocar o numero de celular cadastrado',
    'como altero meu email na conta',
    'mudei de endereco, quero atualizar',
  ],
  account_close_request: [
    'quero encerrar minha conta',
    'como cancelo a conta e saco o saldo que sobrou',
    'fechar minha conta de vez',
  ],
  boleto_payment_error: [
    'da erro quando vou pagar o boleto',
    'codigo de barras invalido no app',
    'agendei o pagamento do boleto e nao foi pago',
  ],
  boleto_paid_still_open: [
    'paguei o boleto e o credor diz que nao recebeu',
    'boleto pago mas continua em aberto',
    'preciso do comprovante do boleto que paguei pra mostrar',
  ],
  ted_not_arrived: [
    'fiz uma ted e nao caiu na outra conta',
    'ted que me mandaram nao compensou',
    'transferencia pra outro banco nao chegou',
  ],
  top_up_not_credited: [
    'fiz recarga de celular e nao caiu o credito',
    'paguei a recarga e a operadora nao recebeu',
    'recarga da vivo tim claro nao entrou',
  ],
  unrecognized_account_debit: [
    'saiu dinheiro da minha conta que eu nao reconheco',
    'tem um debito no extrato que eu nao fiz',
    'descontaram da minha conta um valor estranho',
  ],
  income_tax_report: [
    'preciso do informe de rendimentos pro imposto de renda',
    'onde acho o informe pra declarar o ir',
    'informe de rendimentos nao aparece no app',
  ],
  statement_receipt: [
    'como tiro o extrato em pdf',
    'preciso da segunda via do comprovante de uma transferencia',
    'extrato do mes passado pra imprimir',
  ],
  loan_offer_simulation: [
    'quero simular um emprestimo',
    'quanto tenho disponivel de emprestimo pessoal e qual o juros',
    'em quantas parcelas posso pegar emprestimo',
  ],
  loan_denied: [
    'nao aparece oferta de emprestimo pra mim',
    'meu pedido de emprestimo foi recusado',
    'por que nao tenho emprestimo liberado',
  ],
  loan_installment_payment: [
    'como pago a parcela do emprestimo',
    'parcela do emprestimo atrasada, quero a segunda via',
    'o debito automatico da parcela nao aconteceu',
  ],
  loan_early_payoff: [
    'quero quitar o emprestimo antes',
    'tem desconto pra antecipar as parcelas do emprestimo',
    'quanto fica pra liquidar o contrato hoje',
  ],
  fgts_authorization: [
    'como autorizo o banco no app do fgts',
    'saque aniversario nao aparece pra antecipar',
    'fiz a autorizacao na caixa e o saldo do fgts nao aparece',
  ],
  fgts_release_delay: [
    'antecipei o fgts e o dinheiro nao caiu',
    'contrato do saque aniversario aprovado e nada na conta',
    'quando cai o valor da antecipacao do fgts',
  ],
  payroll_loan_request: [
    'quero fazer um consignado do inss',
    'tenho margem consignavel? quero renovar o consignado',
    'portabilidade do consignado de outro banco pra ca',
  ],
  investment_yield: [
    'quanto rende o cdb de vcs',
    'o investimento rende 100% do cdi?',
    'tem imposto sobre o rendimento do investimento',
  ],
  redemption_not_credited: [
    'resgatei o investimento e o dinheiro nao voltou pra conta',
    'resgate do cdb ta demorando',
    'fiz o resgate e o saldo nao mudou',
  ],
  insurance_claim_request: [
    'quero acionar o seguro, roubaram meu celular',
    'como abro o sinistro do seguro de vida',
    'prazo pra pagar a indenizacao do seguro',
  ],
  insurance_cancel_refund: [
    'quero cancelar o seguro',
    'estao cobrando um seguro que eu nao contratei',
    'cancelar a renovacao do seguro e estornar a cobranca',
  ],
  debt_agreement_offer: [
    'quero negociar minha divida',
    'tem proposta de acordo com desconto pra quitar',
    'preciso do boleto do acordo',
  ],
  negative_credit_record: [
    'meu nome ta negativado no serasa por vcs',
    'paguei a divida e meu nome continua sujo no spc',
    'quando tiram meu nome da negativacao',
  ],
};
