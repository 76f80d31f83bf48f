import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../../src/engine/index.js';
import { runDemo } from '../../../src/cli/demo/example.js';
import { createKeywordClassifier, getExampleWorkflow } from '../../../examples/registry.js';

describe('example support workflow (registry factory)', () => {
  const build = (storage = new MemoryStorage()) => {
    let n = 0;
    return getExampleWorkflow('support-triage', { classifier: createKeywordClassifier(), storage, nextProtocolNumber: async () => `P${++n}` });
  };

  it('answers by topic with the conversation protocol number, kept across runs of the conversation', async () => {
    const wf = build();
    const first = await wf.run({ message: 'Fui cobrado duas vezes na fatura', sessionId: 'c1' });
    expect(first.content).toMatch(/^Sobre cobranças: .* \(protocolo P1\)$/);
    const second = await wf.run({ message: 'a maquininha não liga', sessionId: 'c1' });
    expect(second.content).toMatch(/^Vamos resolver: .* \(protocolo P1\)$/);
  });

  it('hands a frustrated customer to a person, with one outbox alert written with that step', async () => {
    const storage = new MemoryStorage();
    const result = await build(storage).run({ message: 'Isso é um absurdo!!! vou no procon', sessionId: 'c2' });
    expect(result.content).toContain('Um atendente vai assumir agora (protocolo P1)');
    expect(result.sessionState).toMatchObject({ handoff: 'waiting_human' });
    expect(result.stepResults.map((o) => o.stepName)).toEqual(['normalize', 'analysis', 'escalation']);
    expect((await storage.listOutbox({ runId: result.runId })).map((m) => [m.topic, m.payload])).toEqual([['agents.alert', { protocolNumber: 'P1', topic: 'other' }]]);
  });

  it('the demo streams events live and prints every result', async () => {
    const lines: string[] = [];
    const results = await runDemo(['minha maquininha não liga'], { write: (line) => lines.push(line) });
    expect(results.map((r) => r.status)).toEqual(['completed']);
    expect(lines).toContain('    ↪ answer chose "technical"');
    expect(lines.some((line) => line.startsWith('  ⇒ completed: "Vamos resolver'))).toBe(true);
  });
});
