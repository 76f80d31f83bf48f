import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { StepAgent } from '../../../src/engine/types.js';
import { Agent, AgentConfigError, ModelAbortedError, Team, TeamRoutingError, type ModelRequest } from '../../../src/agents/index.js';
import { ScriptedModel, type Answer } from './scripted-model.js';

const replySchema = z.object({ reply: z.string() });

function member(name: string, answer: Answer, description = `handles ${name}`) {
  const model = new ScriptedModel(answer, `${name}-model`);
  return { model, agent: new Agent({ name, description, instructions: `You are ${name}.`, model, responseSchema: replySchema }) };
}

/** Resolves when the request's signal aborts, then rejects like a real model does. */
function waitForAbort(request: ModelRequest<unknown>): Promise<never> {
  return new Promise((_, reject) => {
    if (request.signal?.aborted) return reject(new ModelAbortedError(request.agentName));
    request.signal?.addEventListener('abort', () => reject(new ModelAbortedError(request.agentName)), { once: true });
  });
}

describe("Team 'route'", () => {
  it('runs only the member the selector picks', async () => {
    const cards = member('cards', () => ({ reply: 'cartões' }));
    const pix = member('pix', () => ({ reply: 'pix' }));
    const team = new Team({
      name: 'support',
      mode: 'route',
      members: [cards.agent, pix.agent],
      selector: ({ input }) => (String(input).includes('pix') ? 'pix' : 'cards'),
    });
    const result = await team.run('meu pix sumiu');
    expect(result.content).toEqual({ reply: 'pix' });
    expect(result.chosen).toBe('pix');
    expect(result.modelId).toBe('pix-model');
    expect(cards.model.requests).toHaveLength(0);
    expect(pix.model.requests).toHaveLength(1);
  });

  it('asks the routing model which member fits, then adds its usage to the answer', async () => {
    const cards = member('cards', () => ({ reply: 'cartões' }), 'card problems: blocked, cloned, limits');
    const pix = member('pix', () => ({ reply: 'pix' }), 'Pix transfers');
    const router = new ScriptedModel(() => ({ member: 'cards', reason: 'cloned card' }), 'router-model');
    const team = new Team({ name: 'support', mode: 'route', members: [cards.agent, pix.agent], model: router });
    const result = await team.run('clonaram meu cartão');
    expect(result.content).toEqual({ reply: 'cartões' });
    expect(result.usage).toEqual({ inputTokens: 20, outputTokens: 4, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 });
    // The router saw every member's description and could only answer with a member name.
    expect(router.requests[0]?.instructions).toContain('card problems: blocked, cloned, limits');
    expect(router.requests[0]?.responseSchema.safeParse({ member: 'loans', reason: 'x' }).success).toBe(false);
  });

  it('rejects a selector choice that names no member', async () => {
    const cards = member('cards', () => ({ reply: 'x' }));
    const team = new Team({ name: 'support', mode: 'route', members: [cards.agent], selector: () => 'loans' });
    await expect(team.run('oi')).rejects.toThrow(TeamRoutingError);
    await expect(team.run('oi')).rejects.toThrow(/chose "loans".*members: cards/);
  });
});

describe("Team 'collaborate'", () => {
  it('runs all members at once and merges their answers', async () => {
    const events: string[] = [];
    const answerAfterATick = (name: string) => async () => {
      events.push(`start:${name}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end:${name}`);
      return { reply: name };
    };
    const sentiment = member('sentiment', answerAfterATick('sentiment'));
    const intent = member('intent', answerAfterATick('intent'));
    const team = new Team({
      name: 'analysis',
      mode: 'collaborate',
      members: [sentiment.agent, intent.agent],
      merger: (answers) => answers.map((answer) => (answer.content as { reply: string }).reply).join(' + '),
    });
    const result = await team.run('estou furioso, quero cancelar');
    expect(result.content).toBe('sentiment + intent');
    expect(events.slice(0, 2).sort()).toEqual(['start:intent', 'start:sentiment']);
    expect(result.answers.map((answer) => answer.member)).toEqual(['sentiment', 'intent']);
    expect(result.modelId).toBe('sentiment-model+intent-model');
    expect(result.usage.inputTokens).toBe(20);
  });

  it('merges into an object keyed by member name by default', async () => {
    const a = member('a', () => ({ reply: 'A' }));
    const b = member('b', () => ({ reply: 'B' }));
    const result = await new Team({ name: 'pair', mode: 'collaborate', members: [a.agent, b.agent] }).run('oi');
    expect(result.content).toEqual({ a: { reply: 'A' }, b: { reply: 'B' } });
  });

  it("cancels the other members when one fails, and rejects with that member's error", async () => {
    const slow = member('slow', (request) => waitForAbort(request));
    const broken = member('broken', () => {
      throw new Error('broken member');
    });
    const team = new Team({ name: 'pair', mode: 'collaborate', members: [slow.agent, broken.agent] });
    await expect(team.run('oi')).rejects.toThrow('broken member');
    expect(slow.model.requests[0]?.signal?.aborted).toBe(true);
  });

  it("passes the caller's abort to every member", async () => {
    const a = member('a', (request) => waitForAbort(request));
    const b = member('b', (request) => waitForAbort(request));
    const controller = new AbortController();
    const running = new Team({ name: 'pair', mode: 'collaborate', members: [a.agent, b.agent] }).run('oi', { signal: controller.signal });
    controller.abort();
    await expect(running).rejects.toThrow(ModelAbortedError);
    expect([a.model.requests[0]?.signal?.aborted, b.model.requests[0]?.signal?.aborted]).toEqual([true, true]);
  });
});

describe('Team configuration and nesting', () => {
  it('refuses invalid configurations at construction, naming the team', () => {
    const a = member('a', () => ({ reply: 'A' })).agent;
    const router = new ScriptedModel(() => ({}));
    expect(() => new Team({ name: 'empty', mode: 'route', members: [], selector: () => 'a' })).toThrow(AgentConfigError);
    expect(() => new Team({ name: 'dup', mode: 'collaborate', members: [a, a] })).toThrow(/two members are named "a"/);
    expect(() => new Team({ name: 'r', mode: 'route', members: [a] })).toThrow(/selector function or a model/);
    expect(() => new Team({ name: 'r', mode: 'route', members: [a], selector: () => 'a', model: router })).toThrow(/not both/);
    expect(() => new Team({ name: 'x', mode: 'sideways' as never, members: [a] })).toThrow(/mode must be/);
  });

  it('is itself a step agent and can be a member of another team', async () => {
    const a = member('a', () => ({ reply: 'A' })).agent;
    const b = member('b', () => ({ reply: 'B' })).agent;
    const inner = new Team({ name: 'inner', description: 'both opinions', mode: 'collaborate', members: [a, b] });
    const outer = new Team({ name: 'outer', mode: 'route', members: [inner], selector: () => 'inner' });
    const step: StepAgent = outer;
    const output = await step.run('oi');
    expect(output.content).toEqual({ a: { reply: 'A' }, b: { reply: 'B' } });
    expect(output.metrics).toMatchObject({ agent: 'outer', provider: 'team', inputTokens: 20 });
  });
});
