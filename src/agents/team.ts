/**
 * A Team answers with its members (Agents, or other Teams):
 * - `'route'`: a selector function (or a model, asked which member fits) picks ONE member, which answers alone;
 * - `'collaborate'`: every member answers at once (the caller's signal reaches all of them; the first failure
 *   cancels the others) and a merger combines the answers.
 * A Team has the Agent's `name` + `run` shape, so it is an engine step executor and can be a member of a Team.
 */
import { z } from 'zod';
import { Agent, type AgentInput, type AgentMetrics, type AgentRunOptions, type AgentRunResult } from './agent.js';
import { AgentConfigError, TeamRoutingError } from './errors.js';
import type { ConversationMessage, Model, ModelUsage } from './model.js';
import { addUsage, noUsage } from './usage.js';

export interface TeamMember<T = unknown> {
  readonly name: string;
  readonly description?: string;
  run(input: AgentInput, options?: AgentRunOptions): Promise<AgentRunResult<T>>;
}

/** One member's answer, as the merger and the result see it. */
export interface MemberAnswer<T = unknown> {
  member: string;
  content: T;
  modelId: string;
  usage: ModelUsage;
  latencyMs: number;
}

export interface RouteChoice {
  input: AgentInput;
  conversation: readonly ConversationMessage[] | undefined;
  members: readonly TeamMember[];
}

/** Returns the name of the member that should answer. */
export type RouteSelector = (choice: RouteChoice) => string | Promise<string>;

/** Combines the members' answers (in member order) into the team's answer. */
export type TeamMerger<T> = (answers: readonly MemberAnswer[], input: AgentInput) => T | Promise<T>;

interface TeamBaseConfig {
  name: string;
  /** What the team is for (a parent Team's router reads it). */
  description?: string;
}

export interface RouteTeamConfig<T> extends TeamBaseConfig {
  mode: 'route';
  members: readonly TeamMember<T>[];
  /** Picks the member by code. Give either this or `model`. */
  selector?: RouteSelector;
  /** Picks the member by asking this model which member's description fits the conversation. */
  model?: Model;
  /** Model id for the routing call. @default the model's default */
  modelId?: string;
  /** Extra guidance for the routing model. @default a generic "pick the best member" instruction */
  instructions?: string;
}

export interface CollaborateTeamConfig<T> extends TeamBaseConfig {
  mode: 'collaborate';
  members: readonly TeamMember[];
  /** @default an object keyed by member name with each member's content */
  merger?: TeamMerger<T>;
}

export type TeamConfig<T> = RouteTeamConfig<T> | CollaborateTeamConfig<T>;

export interface TeamRunResult<T> extends AgentRunResult<T> {
  /** The members' answers, in member order (route: only the chosen member's). */
  answers: MemberAnswer[];
  /** Route mode: the member that answered. */
  chosen?: string;
}

export class Team<T> implements TeamMember<T> {
  readonly name: string;
  readonly description: string | undefined;
  readonly mode: 'route' | 'collaborate';
  readonly members: readonly TeamMember[];
  private readonly config: TeamConfig<T>;
  private readonly router: Agent<{ member: string; reason: string }> | undefined;

  constructor(config: TeamConfig<T>) {
    validateTeamConfig(config);
    this.config = config;
    this.name = config.name;
    this.description = config.description;
    this.mode = config.mode;
    this.members = config.members;
    this.router = config.mode === 'route' && config.model ? routerAgent(config, config.model) : undefined;
  }

  async run(input: AgentInput, options: AgentRunOptions = {}): Promise<TeamRunResult<T>> {
    const started = performance.now();
    const config = this.config;
    const partial = config.mode === 'route' ? await this.route(config, input, options) : await this.collaborate(config, input, options);
    const latencyMs = performance.now() - started;
    const metrics: AgentMetrics = {
      agent: this.name,
      provider: 'team',
      modelId: partial.modelId,
      latencyMs,
      inputTokens: partial.usage.inputTokens,
      outputTokens: partial.usage.outputTokens,
      cacheReadInputTokens: partial.usage.cacheReadInputTokens ?? 0,
      cacheCreationInputTokens: partial.usage.cacheCreationInputTokens ?? 0,
    };
    return { ...partial, latencyMs, metrics };
  }

  private async route(
    config: RouteTeamConfig<T>,
    input: AgentInput,
    options: AgentRunOptions,
  ): Promise<Omit<TeamRunResult<T>, 'latencyMs' | 'metrics'>> {
    const { chosenName, routingUsage } = await this.pick(config, input, options);
    const member = config.members.find((candidate) => candidate.name === chosenName);
    if (!member) throw new TeamRoutingError(this.name, String(chosenName), config.members.map((m) => m.name));
    const result = await member.run(input, options);
    return {
      content: result.content,
      modelId: result.modelId,
      usage: addUsage(routingUsage, result.usage),
      answers: [answerOf(member.name, result)],
      chosen: member.name,
    };
  }

  private async pick(
    config: RouteTeamConfig<T>,
    input: AgentInput,
    options: AgentRunOptions,
  ): Promise<{ chosenName: string; routingUsage: ModelUsage }> {
    if (config.selector) {
      return { chosenName: await config.selector({ input, conversation: options.conversation, members: config.members }), routingUsage: noUsage };
    }
    if (!this.router) throw new AgentConfigError(`Team "${this.name}": route mode needs a selector or a model.`);
    // The router answers about the conversation, not the member's task: only the signal and conversation go along.
    const routing = await this.router.run(input, {
      ...(options.signal && { signal: options.signal }),
      ...(options.conversation && { conversation: options.conversation }),
    });
    return { chosenName: routing.content.member, routingUsage: routing.usage };
  }

  private async collaborate(
    config: CollaborateTeamConfig<T>,
    input: AgentInput,
    options: AgentRunOptions,
  ): Promise<Omit<TeamRunResult<T>, 'latencyMs' | 'metrics'>> {
    // One controller for all members: the caller's abort reaches every member, and the first failure cancels the
    // others instead of paying for answers nobody will read.
    const controller = new AbortController();
    const outer = options.signal;
    const forwardAbort = (): void => controller.abort(outer?.reason);
    if (outer?.aborted) controller.abort(outer.reason);
    outer?.addEventListener('abort', forwardAbort, { once: true });
    try {
      const results = await Promise.all(
        config.members.map(async (member) => {
          try {
            return answerOf(member.name, await member.run(input, { ...options, signal: controller.signal }));
          } catch (error) {
            controller.abort(error);
            throw error;
          }
        }),
      );
      const merger = config.merger ?? (byMemberName as TeamMerger<T>);
      const content = await merger(results, input);
      const modelIds = [...new Set(results.map((answer) => answer.modelId))];
      return { content, modelId: modelIds.join('+'), usage: results.map((a) => a.usage).reduce(addUsage, noUsage), answers: results };
    } finally {
      outer?.removeEventListener('abort', forwardAbort);
    }
  }
}

function answerOf(member: string, result: AgentRunResult<unknown>): MemberAnswer {
  return { member, content: result.content, modelId: result.modelId, usage: result.usage, latencyMs: result.latencyMs };
}

function byMemberName(answers: readonly MemberAnswer[]): Record<string, unknown> {
  return Object.fromEntries(answers.map((answer) => [answer.member, answer.content]));
}

function routerAgent<T>(config: RouteTeamConfig<T>, model: Model): Agent<{ member: string; reason: string }> {
  const names = config.members.map((member) => member.name) as [string, ...string[]];
  const roster = config.members.map((member) => `- ${member.name}: ${member.description ?? '(no description)'}`).join('\n');
  return new Agent({
    name: `${config.name}.router`,
    description: `Picks which member of team "${config.name}" answers`,
    instructions:
      (config.instructions ?? 'Pick the one team member best suited to answer this conversation.') +
      `\n\nMembers:\n${roster}\n\nAnswer with the member's exact name and a one-line reason.`,
    model,
    responseSchema: z.object({ member: z.enum(names), reason: z.string() }),
    task: { kind: 'generate', purpose: `route to one member of team ${config.name}` },
    ...(config.modelId !== undefined && { modelId: config.modelId }),
  });
}

function validateTeamConfig<T>(config: TeamConfig<T>): void {
  const name = typeof config.name === 'string' ? config.name.trim() : '';
  if (name === '') throw new AgentConfigError('A Team needs a non-empty name.');
  const fail = (problem: string): never => {
    throw new AgentConfigError(`Team "${name}": ${problem}.`);
  };
  const mode: unknown = config.mode;
  if (mode !== 'route' && mode !== 'collaborate') fail(`mode must be 'route' or 'collaborate', not ${JSON.stringify(mode)}`);
  if (!Array.isArray(config.members) || config.members.length === 0) fail('needs at least one member');
  const seen = new Set<string>();
  for (const member of config.members) {
    if (typeof member?.run !== 'function' || typeof member.name !== 'string' || member.name === '') {
      fail('every member needs a name and a run() method (an Agent or a Team)');
    }
    if (seen.has(member.name)) fail(`two members are named "${member.name}"; names pick the member, so they must be unique`);
    seen.add(member.name);
  }
  if (config.mode === 'route') {
    if (config.selector && config.model) fail('give either a selector or a model to route with, not both');
    if (!config.selector && !config.model) fail("route mode needs a selector function or a model to pick the member");
  } else {
    const extra = config as CollaborateTeamConfig<T> & { selector?: unknown; model?: unknown };
    if (extra.selector || extra.model) fail("collaborate mode runs every member; 'selector' and 'model' only apply to route mode");
  }
}
