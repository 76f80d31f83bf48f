/**
 * Escalation signals on hand-written rough WhatsApp messages (written for this test, not taken from any
 * labeled set): each trigger of the labeling guide, the priority between them, and the non-triggers.
 */
import { describe, expect, it } from 'vitest';
import { triggeredReasons } from '../../../src/agents/embedded/escalation-rules.js';
import { findAmounts, largestAmount } from '../../../src/agents/embedded/amounts.js';
import { detectSignals } from '../../../src/agents/embedded/signals.js';
import type { ConversationMessage } from '../../../src/agents/model.js';

const customer = (...texts: string[]): ConversationMessage[] => texts.map((text) => ({ role: 'customer', text }));
const reasonsOf = (...texts: string[]) => triggeredReasons(detectSignals(customer(...texts)));

describe('amounts', () => {
  it('reads the ways customers write money', () => {
    expect(largestAmount('mandei R$ 7.500,00 ontem')).toBe(7500);
    expect(largestAmount('foi uns 5 mil')).toBe(5000);
    expect(largestAmount('caiu so 10k')).toBe(10000);
    expect(largestAmount('ted de 12.300 n compensou')).toBe(12300);
    expect(largestAmount('quase oito mil')).toBe(8000);
    expect(largestAmount('paguei seis mil de entrada')).toBe(6000);
    expect(largestAmount('7,5 mil reais')).toBe(7500);
    expect(largestAmount('vendi 6200 no credito')).toBe(6200);
  });

  it('does not take protocol numbers, dates, rates or CPFs for amounts', () => {
    expect(findAmounts('protocolo 5567123 de ontem')).toEqual([]);
    expect(findAmounts('dia 15/08 as 14h30')).toEqual([]);
    expect(findAmounts('taxa de 4,99% no 12x')).toEqual([]);
    expect(findAmounts('meu cpf 321.654.987-00')).toEqual([]);
    expect(findAmounts('em 2023 paguei tudo')).toEqual([]);
  });
});

describe('escalation triggers in rough spelling', () => {
  it('explicit request for a person', () => {
    expect(reasonsOf('qro falar c um atendente pfv')).toContain('explicit_request');
    expect(reasonsOf('n quero robo', 'me passa p uma pessoa de verdade')).toContain('explicit_request');
    expect(reasonsOf('tem algum numero pra eu ligar?')).toContain('explicit_request');
  });

  it('security concern: fraud, cloning, scams, theft', () => {
    expect(reasonsOf('clonaram meu cartao', 'tem 3 compra q eu n fiz')[0]).toBe('security_concern');
    expect(reasonsOf('cai num golpe do falso parente, mandei pix pro golpista')[0]).toBe('security_concern');
    expect(reasonsOf('roubaram meu cel ontem a noite e o app ta logado nele')[0]).toBe('security_concern');
    expect(reasonsOf('alguem ta usando minha conta, saiu pix q nao reconheco')[0]).toBe('security_concern');
  });

  it('security comes first when a scam victim also asks for a person', () => {
    expect(reasonsOf('cai num golpe no pix', 'quero falar com atendente agora')).toEqual(['security_concern', 'explicit_request']);
  });

  it('high value only for a problem of R$ 5.000 or more', () => {
    expect(reasonsOf('fiz um pix de 8 mil pro fornecedor e ate agr n caiu')).toContain('high_value');
    expect(reasonsOf('vendi R$ 9.870,00 ontem na maquininha e nao entrou nada')).toContain('high_value');
    expect(reasonsOf('qto rende 10 mil no cdb de vcs?')).toEqual([]);
    expect(reasonsOf('fiz um pix de 300 reais e nao caiu')).not.toContain('high_value');
  });

  it('multiple attempts', () => {
    expect(reasonsOf('ja liguei 3x e ngm resolve essa fatura')).toContain('multiple_attempts');
    expect(reasonsOf('pela terceira vez to pedindo o estorno')).toContain('multiple_attempts');
    expect(reasonsOf('ja abri dois chamados sobre isso, protocolo 77812')).toContain('multiple_attempts');
  });

  it('frustration: shouting, insults, threats', () => {
    expect(reasonsOf('VCS SAO UMA PIADA, CADE MEU DINHEIRO???')).toContain('frustration_detected');
    expect(reasonsOf('se nao resolverem hj vou no procon')).toContain('frustration_detected');
    expect(reasonsOf('que porcaria de app, vou botar no reclame aqui')).toContain('frustration_detected');
  });

  it('complex issues: judicial block, deceased holder', () => {
    expect(reasonsOf('apareceu um bloqueio judicial na minha conta')).toContain('complex_issue');
    expect(reasonsOf('minha mae faleceu e a conta dela tem saldo, como faz o inventario')).toContain('complex_issue');
  });

  it('system limitation: fails every time, or only an operator can change it', () => {
    expect(reasonsOf('toda vez q tento gerar o boleto da erro', 'ja reinstalei o app')).toContain('system_limitation');
    expect(reasonsOf('preciso mudar a razao social da empresa na conta')).toContain('system_limitation');
  });
});

describe('not triggers (the guide is explicit about these)', () => {
  it('a calm question about security', () => {
    expect(reasonsOf('como deixo minha conta mais segura? tenho medo de golpe')).toEqual([]);
  });

  it('a lost card without any misuse', () => {
    expect(reasonsOf('perdi meu cartao ontem, ja bloqueei no app e nao teve nenhuma compra estranha. como peço outro?')).toEqual([]);
  });

  it('people mentioned in passing', () => {
    expect(reasonsOf('minha esposa pediu pra eu ver o limite do cartao dela')).toEqual([]);
    expect(reasonsOf('a atendente da loterica disse que o boleto ta certo, mas o app nao acha')).not.toContain('explicit_request');
  });

  it('mild impatience and routine small problems', () => {
    expect(reasonsOf('oi, o cartao n chegou ainda, demora mt?')).toEqual([]);
    expect(reasonsOf('mandei 150 no pix errado sem querer, tem como voltar?')).toEqual([]);
  });
});

describe('triggers said indirectly (the misses of the first version)', () => {
  it('security: a debit nobody can place, a purchase elsewhere or with the card in hand, a fake call asking for a code', () => {
    expect(reasonsOf('saiu um debito de 212 q eu nao sei o que e isso')[0]).toBe('security_concern');
    expect(reasonsOf('compra no cartao em outra cidade, to aqui em recife')[0]).toBe('security_concern');
    expect(reasonsOf('notificacao de compra de 600', 'mas o cartao ta aqui comigo')[0]).toBe('security_concern');
    expect(reasonsOf('uma moca ligou dizendo q era do banco', 'pediram pra eu confirmar o codigo do sms')[0]).toBe('security_concern');
    expect(reasonsOf('paguei no pix um anuncio de celular e o vendedor me bloqueou')[0]).toBe('security_concern');
    expect(reasonsOf('tem 2 assinaturas de streaming q eu nunca contratei')[0]).toBe('security_concern');
  });

  it('security is not read into a hypothetical or a machine that did not recognise a face', () => {
    expect(reasonsOf('se um dia eu cair em golpe no pix tem como recuperar?')).not.toContain('security_concern');
    expect(reasonsOf('a selfie nao valida, o app nao reconheceu o rosto')).not.toContain('security_concern');
  });

  it('repeated contact: back again, promises not kept, every week the same', () => {
    expect(reasonsOf('de novo eu aqui', 'o boleto continua sem baixar')).toContain('multiple_attempts');
    expect(reasonsOf('voces prometeram devolver ate ontem')).toContain('multiple_attempts');
    expect(reasonsOf('todo mes eu venho reclamar da mesma fatura')).toContain('multiple_attempts');
    expect(reasonsOf('ninguem me da um retorno sobre o emprestimo')).toContain('multiple_attempts');
    expect(reasonsOf('ja tenho um chamado aberto sobre isso', 'a maquininha segue sem sinal')).toContain('multiple_attempts');
    expect(reasonsOf('tem protocolo anterior dessa fatura')).toContain('multiple_attempts');
  });

  it('system limitation: the standard fixes already tried, every customer failing, fails every time', () => {
    expect(reasonsOf('maquininha sem sinal', 'ja reiniciei e troquei o chip')).toContain('system_limitation');
    expect(reasonsOf('o link da erro pra todos os clientes')).toContain('system_limitation');
    expect(reasonsOf('o comprovante trava toda vez')).toContain('system_limitation');
  });

  it('high value: a large payment still open is a problem, not a question', () => {
    expect(reasonsOf('paguei 7.300 no boleto do carro', 'continua em aberto')).toContain('high_value');
    expect(reasonsOf('quanto rende 7 mil no cdb?')).not.toContain('high_value');
  });

  it("'q' is read as 'que' (it was taken for 'qualquer'), so 'compra q eu nao fiz' is a security concern", () => {
    expect(reasonsOf('apareceu uma compra de 90 q eu n fiz')[0]).toBe('security_concern');
  });
});

