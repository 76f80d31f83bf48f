/**
 * An example support workflow built with the registry-friendly factory pattern: `createSupportTriageWorkflow
 * (deps)` receives what it depends on (an agent, storage, a protocol-number source) and returns a Workflow,
 * so a registry can build it by id and tests can pass fakes. It shows a Parallel (topic, mood and protocol
 * number at once), a Condition (hand frustrated customers to a person, with an outbox alert written in the
 * same commit as the step) and a Router (an answer per topic).
 */
import type { StepAgent, StepInput, Storage } from '../../src/engine/index.js';
import { Condition, Parallel, Router, Step, StepOutput, Workflow } from '../../src/engine/index.js';
import { frustrationScore } from './agents.js';
import type { Topic } from './agents.js';

export interface SupportTriageDeps {
  /** Classifies the message into { topic, confidence } (Claude or the embedded NLU in the product). */
  classifier: StepAgent;
  /** Where runs and conversation state are kept. @default in memory */
  storage?: Storage;
  /** The next protocol number for a conversation (a storage sequence in the product). */
  nextProtocolNumber: (conversationKey: string) => Promise<string>;
}

interface Analysis {
  topic: { topic: Topic; confidence: number };
  mood: { frustration: number };
  protocol: string;
}

const ANSWERS: Record<Topic, string> = {
  billing: 'Sobre cobranças: o estorno de valores indevidos cai em até 2 faturas. Pode me enviar a data da cobrança?',
  technical: 'Vamos resolver: segure o botão de ligar por 10 segundos e confira se a bateria está carregada.',
  other: 'Recebi sua mensagem e já vou te ajudar. Pode me contar um pouco mais?',
};

const text = (input: StepInput): string => String(input.message ?? '').trim();

export function createSupportTriageWorkflow(deps: SupportTriageDeps): Workflow {
  return new Workflow({
    name: 'support_triage',
    description: 'Classifies a WhatsApp message, escalates frustrated customers, answers by topic.',
    storage: deps.storage,
    steps: [
      new Step({ name: 'normalize', executor: (input) => text(input).replace(/\s+/g, ' ') }),
      new Parallel(
        new Step({ name: 'topic', agent: deps.classifier, maxRetries: 2, retryBackoff: 100, timeoutMs: 10_000 }),
        new Step({ name: 'mood', executor: (input) => ({ frustration: frustrationScore(String(input.previousStepContent)) }) }),
        new Step({
          name: 'protocol',
          executor: async (input) => {
            // One protocol number per conversation, kept in its session state.
            const state = input.workflowSessionState;
            state.protocolNumber ??= await deps.nextProtocolNumber(input.sessionId);
            return state.protocolNumber;
          },
        }),
        { name: 'analysis' },
      ),
      new Condition({
        name: 'escalation',
        evaluator: (input) => (input.getStepContent('analysis') as Analysis).mood.frustration >= 2,
        steps: [new Step({
          name: 'hand_to_human',
          executor: (input) => {
            const analysis = input.getStepContent('analysis') as Analysis;
            input.workflowSessionState.handoff = 'waiting_human';
            // Written with this step's result: the alert goes out exactly once, even if the process dies now.
            input.outbox.enqueue('agents.alert', { protocolNumber: analysis.protocol, topic: analysis.topic.topic });
            return new StepOutput({ content: `Entendo sua frustração. Um atendente vai assumir agora (protocolo ${analysis.protocol}).`, stop: true });
          },
        })],
      }),
      new Router({
        name: 'answer',
        evaluator: (input) => (input.getStepContent('analysis') as Analysis).topic.topic,
        routes: {
          billing: new Step({ name: 'billing_answer', executor: () => ANSWERS.billing }),
          technical: new Step({ name: 'technical_answer', executor: () => ANSWERS.technical }),
          other: new Step({ name: 'general_answer', executor: () => ANSWERS.other }),
        },
      }),
      new Step({
        name: 'reply',
        executor: (input) => `${String(input.previousStepContent)} (protocolo ${String((input.getStepContent('analysis') as Analysis).protocol)})`,
      }),
    ],
  });
}
