/**
 * What the webhook load bench sends: a seeded, repeatable stream of short pt-BR WhatsApp messages from a fixed
 * population of customers (most on Meta, some on Evolution), built as the providers send them (Meta signed over
 * its escaped wire bytes, Evolution with its header secret) by the same builders `zapflow simulate` uses.
 */
import { buildEvolutionTextWebhook, buildMetaTextWebhook, type WebhookRequest } from '../src/webhooks/sign.js';
import { seededRandom } from '../src/agents/embedded/random.js';

/** Secrets the bench's receivers are configured with (loopback only, never real). */
export const BENCH_SECRETS = {
  metaAppSecret: 'bench-app-secret-0123',
  metaVerifyToken: 'bench-verify-token-0123',
  evolutionSecret: 'bench-evolution-secret-0123',
  evolutionInstance: 'loja',
  adminToken: 'bench-admin-token-0123456789',
};
export const BENCH_AGENTS = ['5511900000090', '5511900000091'];

export interface PlanOptions {
  /** Messages per second. */
  rate: number;
  durationMs: number;
  /** Distinct customers writing. */
  customers: number;
  /** Share of customers on Evolution (the rest on Meta). */
  evolutionShare: number;
  seed: number;
  /**
   * Before the measured load, this long at `warmupRate`: the receivers' code is compiled by the JIT as in a
   * service that has been up for a while. These messages are verified like the others but not timed.
   */
  warmupMs: number;
  warmupRate: number;
}

export interface PlannedRequest extends WebhookRequest {
  /** Offset from the load's start at which the provider sends it (ms). */
  dueMs: number;
  /** False during the warm-up. */
  measured: boolean;
}

/**
 * What customers of a payments company write: questions the self-service answers, short follow-ups that a
 * burst turns into one thought, and a few that must reach a person (fraud, complaints, asking for a human).
 */
const TEXTS = [
  'oi', 'bom dia', 'boa tarde, tudo bem?', 'preciso de ajuda', 'alguém aí?',
  'como faço pra pedir a segunda via do boleto?', 'qual o limite do meu cartão?', 'quero aumentar meu limite',
  'minha maquininha não liga', 'a maquininha ta dando erro de conexão', 'quando cai o dinheiro das vendas?',
  'quanto é a taxa do débito?', 'como cadastro uma chave pix?', 'fiz um pix e não caiu ainda',
  'o pix agendado não saiu hoje', 'quero parcelar a fatura', 'a fatura veio com valor errado',
  'como bloqueio meu cartão?', 'perdi meu cartão', 'meu cartão chegou, como desbloqueio?',
  'quero cancelar a assinatura da maquininha', 'como antecipo meus recebíveis?', 'qual o prazo da antecipação?',
  'o app não abre no meu celular', 'esqueci minha senha do app', 'não consigo fazer login',
  'como gero o cartão virtual?', 'posso usar o cartão virtual no exterior?', 'qual o endereço pra devolver a maquininha?',
  'a bobina acabou, vocês mandam?', 'quero trocar a data de vencimento', 'o boleto não foi compensado',
  'paguei a fatura ontem e ainda aparece em aberto', 'como vejo o extrato das vendas?', 'quanto rende a conta?',
  'obrigado', 'ok', 'entendi', 'vou tentar', 'ainda não deu certo',
];
/** Sent with probability ESCALATING_SHARE per message: about one conversation in seven reaches a person. */
const ESCALATING = [
  'apareceu uma compra que eu não fiz no cartão', 'quero falar com um atendente agora',
  'isso é um absurdo, vou no procon', 'caíram dois débitos iguais na minha conta',
];
const ESCALATING_SHARE = 0.01;

const NAMES = ['Ana', 'Bruno', 'Carla', 'Diego', 'Eduarda', 'Felipe', 'Gabriela', 'Henrique', 'Isabela', 'João', 'Larissa', 'Marcos'];

/** A fictional Brazilian mobile number per customer index (55 11 97xxx-xxxx), never a real customer's. */
export function customerPhone(index: number): string {
  return `5511970${String(index).padStart(6, '0')}`;
}

/**
 * The whole load, built before the clock starts so signing and JSON cost nothing during it. After the
 * warm-up, message `i` is due at `warmupMs + i / rate` s; its customer is drawn uniformly (about
 * `rate × duration / customers` messages each); its provider timestamp is the wall-clock time it is due, so
 * each customer's messages keep their order.
 */
export function buildPlan(options: PlanOptions, startEpochMs: number): PlannedRequest[] {
  const random = seededRandom(options.seed);
  const warmup = Math.round((options.warmupRate * options.warmupMs) / 1000);
  const count = warmup + Math.round((options.rate * options.durationMs) / 1000);
  const evolutionCustomers = Math.round(options.customers * options.evolutionShare);
  const plan: PlannedRequest[] = [];
  for (let i = 0; i < count; i++) {
    const measured = i >= warmup;
    const dueMs = measured ? options.warmupMs + ((i - warmup) * 1000) / options.rate : (i * 1000) / options.warmupRate;
    const customer = Math.floor(random() * options.customers);
    const pool = random() < ESCALATING_SHARE ? ESCALATING : TEXTS;
    const text = pool[Math.floor(random() * pool.length)]!;
    const name = NAMES[customer % NAMES.length]!;
    const from = customerPhone(customer);
    const timestamp = startEpochMs + dueMs;
    const request = customer < evolutionCustomers
      ? buildEvolutionTextWebhook({ secret: BENCH_SECRETS.evolutionSecret, instance: BENCH_SECRETS.evolutionInstance, from, text, name, timestamp })
      : buildMetaTextWebhook({ appSecret: BENCH_SECRETS.metaAppSecret, from, text, name, timestamp });
    plan.push({ ...request, dueMs, measured });
  }
  return plan;
}
