/**
 * One turn of a conversation: what happens to a batch of a customer's messages (already ordered and
 * coalesced by the dispatcher).
 *
 * - `bot`: typification runs, then the handoff workflow decides on escalation (unless typification already
 *   handed over, nested, for low confidence). Escalated → the conversation waits for a human (the workflow
 *   already wrote the alert and the acknowledgement to the outbox). Otherwise the bot answers: the
 *   self-service text of the typified submotive, or one clarifying question.
 * - `waiting_human` / `human`: the bot stays silent; the messages are forwarded to the agents.
 * - Non-text messages get the text-only notice; a customer who opened the chat without writing gets a
 *   greeting. A message from the business number that zapflow did not send (an agent on the phone, the
 *   WhatsApp Business app or Chatwoot; told apart by the provider ids our sends got back) means a person
 *   took over: the conversation goes to `human`, whatever its status, and the bot falls silent.
 *
 * Every reply goes through the outbox with a key derived from the run id, and the run ids are the batch's:
 * a batch re-processed after a crash reuses its finished runs and never answers twice. The run's input names
 * the batch's messages (`additionalData.batchMessageIds`), and the dispatcher gives a recovered run exactly
 * the messages it was started with, so a reused result only ever marks messages it processed.
 *
 * The effects of a turn happen in an order that a crash at any point can replay: outbox rows (idempotency
 * keys), the bot's reply in the history (stored `done`, deduplicated by its key), the conversation's status
 * (compare-and-set), and last the inbox marks. Until the marks commit, the batch is `processing` under its
 * run id and the next start replays the turn; every step before the marks is a no-op the second time.
 */
import type { RunRecord, RunResult, Storage, Workflow, WorkflowEvent } from '../engine/index.js';
import type { Logger } from '../logging.js';
import { silentLogger } from '../logging.js';
import type { TypificationOutcome } from '../workflows/conversation-typification/steps.js';
import type { HandoffOutcome } from '../workflows/human-handoff/steps.js';
import { effects, isHandoffAck, outboxKeys, threadMessageId, type Outbox } from './outbox.js';
import type { WorkflowSet } from '../workflows/registry.js';
import { typificationOfRun } from '../workflows/session-state.js';
import { consoleConversationLink } from '../workflows/shared/links.js';
import type { AgentDirectory } from './agent-directory.js';
import type { CaseService } from './cases.js';
import { TurnDeferredError } from './dispatcher.js';
import type { ConversationLifecycle } from './lifecycle.js';
import type { CaseRecord } from '../conversations/store/case-types.js';
import { clarificationNeeded } from '../agents/embedded/abstain.js';
import { botPromptTexts, botReply, clarifyingReply, forwardedMessageText, TEXT_ONLY_NOTICE, WELCOME_GREETING, type SelfServiceContent } from './replies.js';
import type { ConversationRecord, InboxRecord, ServiceStore } from '../conversations/store/types.js';

export interface TurnProcessorDeps {
  storage: Storage;
  /** Where the turn's replies and forwarded messages are written (the one outbox writer). */
  outbox: Outbox;
  serviceStore: ServiceStore;
  lifecycle: ConversationLifecycle;
  /** Cases: one protocol per customer problem, runs and typifications recorded on it. */
  cases: CaseService;
  /** The claiming agent's own phone, for forwarded customer messages. @default nobody has one (alert numbers) */
  agentDirectory?: AgentDirectory;
  /** PUBLIC_URL, for the console link in forwarded messages. */
  publicUrl?: string;
  workflows: WorkflowSet;
  selfService: SelfServiceContent;
  /** Deliver outbox rows now instead of at the next poll. */
  kickOutbox?: () => void;
  /** Earlier messages within this window are given to the models as context. @default 30 min */
  contextWindowMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Observes each finished run (metrics). */
  onRunFinished?: (workflowName: string, result: RunResult) => void;
  /** Observes every event of the runs as they happen (the demo's live view); runs are streamed when set. */
  onEvent?: (workflowName: string, conversationKey: string, event: WorkflowEvent) => void;
}

type Outcome = { status: string; content: unknown };

const ECHO_WINDOW_MS = 10 * 60_000;
/** How long a turn whose run is still executing (a crash recovery resuming it) waits before looking again. */
const RUN_BUSY_RETRY_MS = 1000;
/** Runs of one turn's workflow that may end in error before the turn stops making new ones (see runOnce). */
const MAX_RUN_ATTEMPTS = 6;

export function createTurnProcessor(deps: TurnProcessorDeps) {
  const now = deps.now ?? Date.now;
  const logger = deps.logger ?? silentLogger;
  const contextWindowMs = deps.contextWindowMs ?? 30 * 60_000;
  const botPrompts = botPromptTexts(deps.selfService);

  /**
   * Runs a workflow under a fixed run id once: a finished run with that id is reused. A run still `running`
   * (the engine's recovery resumes it after a crash) is not awaited here: the turn is deferred, so it holds
   * no turn slot while it waits and new conversations never queue behind it.
   */
  /**
   * Runs a turn's workflow once under the run id its inbox rows are bound to, or carries on with what that
   * run already did. A run that ended `error` (a connection that died mid-step, a model outage) gets a fresh
   * attempt `<runId>~retry-N` as a rerun of it: the rerun keys its customer-visible effects (protocol number,
   * alert) on the same root run, so retrying never issues a second protocol or alerts twice, and the rows stay
   * bound to the original run, whose input lists them. After MAX_RUN_ATTEMPTS errored attempts the turn fails
   * loudly and the dispatcher keeps retrying with backoff (the message waits, the backlog check says so).
   */
  async function runOnce(workflow: Workflow, options: Parameters<Workflow['run']>[0] & { runId: string; sessionId: string }): Promise<Outcome> {
    let lastErrored: RunRecord | undefined;
    for (let attempt = 0; attempt < MAX_RUN_ATTEMPTS; attempt++) {
      const runId = attempt === 0 ? options.runId : `${options.runId}~retry-${attempt}`;
      const existing = await deps.storage.getRun(runId);
      if (!existing) {
        const result = lastErrored ? await workflow.rerun(lastErrored.runId, { runId }) : await execute(workflow, options);
        deps.onRunFinished?.(workflow.name, result);
        if (result.status !== 'completed') throw new Error(`${workflow.name} run ${result.runId} ended ${result.status}: ${result.error?.message ?? ''}`, { cause: result.error });
        return { status: result.status, content: result.content };
      }
      if (existing.status === 'completed') return { status: existing.status, content: existing.content };
      if (existing.status !== 'error' && existing.status !== 'cancelled') {
        throw new TurnDeferredError(options.sessionId, RUN_BUSY_RETRY_MS, `its ${workflow.name} run ${existing.runId} is still ${existing.status} (being recovered)`);
      }
      lastErrored = existing;
    }
    throw new Error(`${workflow.name}: ${MAX_RUN_ATTEMPTS} runs of this turn ended in error, the last ${lastErrored?.runId}: ${lastErrored?.error?.message ?? ''}`);
  }

  async function execute(workflow: Workflow, options: Parameters<Workflow['run']>[0] & { runId: string }): Promise<RunResult> {
    const observe = deps.onEvent;
    if (!observe) return workflow.run(options);
    const stream = workflow.stream({ ...options, streamIntermediateSteps: true });
    for await (const event of stream) observe(workflow.name, options.sessionId ?? '', event);
    return stream.result;
  }

  /**
   * History first, then the outbox: a replayed turn that finds the reply in the history answers the same way.
   * `alongside`: a write of the same moment, committed with the history entry.
   */
  async function reply(conversation: ConversationRecord, key: string, text: string, runId?: string, alongside?: () => Promise<void>): Promise<void> {
    await Promise.all([recordBotReply(conversation, key, text), alongside?.()]);
    await deps.outbox.write([effects.toCustomer(key, conversation.conversationKey, text)], runId ? { runId } : {});
  }

  /** This turn already decided to answer (before a crash): its reply is in the history. */
  async function alreadyAnswered(conversationKey: string, replyKey: string): Promise<boolean> {
    return (await deps.serviceStore.recentMessages(conversationKey, 20)).some((item) => item.messageId === threadMessageId(replyKey));
  }

  /**
   * The bot's own words, kept in the conversation's history (admins see them; echoes are recognised). Stored
   * `done` in one statement and deduplicated by the reply's key: replaying a turn records it once.
   */
  async function recordBotReply(conversation: ConversationRecord, key: string, text: string): Promise<void> {
    await deps.serviceStore.recordProcessed(
      [{ provider: conversation.provider, messageId: threadMessageId(key), conversationKey: conversation.conversationKey, kind: 'bot_reply', customer: conversation.customer, text, sentAt: now() }],
      now(),
    );
  }

  async function forwardToAgents(conversation: ConversationRecord, items: InboxRecord[]): Promise<void> {
    // Held by an agent with a phone: to them only (not every alert number); otherwise to the alert numbers.
    const agentPhone = conversation.handoffStatus === 'human' && conversation.assignedAgent
      ? await deps.agentDirectory?.phoneOf(conversation.assignedAgent)
      : undefined;
    const link = consoleConversationLink(deps.publicUrl, conversation.conversationKey);
    await deps.outbox.write(items.map((item) => effects.toAgents(outboxKeys.forward(item.provider, item.messageId), {
      protocolNumber: conversation.protocolNumber ?? 'sem protocolo',
      conversationKey: conversation.conversationKey,
      urgency: conversation.urgency ?? 'medium',
      reason: 'customer_message',
      link,
      ...(agentPhone ? { recipients: [agentPhone] } : {}),
      text: `${forwardedMessageText(conversation.protocolNumber, conversation.name, item.kind === 'text_only_notice' ? '(mensagem que não é texto)' : item.text)}\nAbrir: ${link}`,
    })));
  }

  /**
   * Recent conversation (customer and bot) within the context window, then this batch. A handoff closes an
   * episode: what came before the last handoff (or went to an agent) is not this turn's context, or a
   * customer released back to the bot would be escalated again for the old problem.
   */
  async function conversationFor(conversationKey: string, batch: InboxRecord[]) {
    const first = batch[0]!.sentAt;
    const ids = new Set(batch.map((item) => item.id));
    const recent = (await deps.serviceStore.recentMessages(conversationKey, 12)).filter((item) => !ids.has(item.id) && item.sentAt >= first - contextWindowMs);
    let episodeStart = 0;
    recent.forEach((item, index) => {
      if (item.status === 'forwarded' || (item.kind === 'bot_reply' && isHandoffAck(item.messageId))) episodeStart = index + 1;
    });
    const context = recent.slice(episodeStart).filter((item) => (item.kind === 'text' || item.kind === 'bot_reply') && item.status === 'done');
    return [...context, ...batch].map((item) => ({ role: item.kind === 'bot_reply' ? ('bot' as const) : ('customer' as const), text: item.text }));
  }

  /**
   * Our own send coming back (Evolution `send.message`, a `fromMe` upsert): known by the provider id our send
   * got back. The text match covers the moment between the provider's echo and our recording of that id.
   */
  async function isOurEcho(conversationKey: string, item: InboxRecord): Promise<boolean> {
    if (await deps.serviceStore.isOwnMessage(item.provider, item.messageId)) return true;
    const recent = await deps.serviceStore.recentMessages(conversationKey, 20);
    // What we sent (the bot, or an agent from the console) comes back from Evolution as a fromMe message.
    return recent.some((r) => (r.kind === 'bot_reply' || r.kind === 'agent_message') && r.text === item.text && Math.abs(r.sentAt - item.sentAt) < ECHO_WINDOW_MS);
  }

  return async function processTurn(conversationKey: string, items: InboxRecord[], runId: string): Promise<void> {
    let conversation = (await deps.serviceStore.getConversation(conversationKey))!;
    const done: number[] = [];
    const forwarded: number[] = [];
    const texts: InboxRecord[] = [];
    const notices: InboxRecord[] = [];
    const welcomes: InboxRecord[] = [];
    for (const item of items) {
      if (item.kind === 'bot_reply') done.push(item.id);
      else if (item.kind === 'agent_reply') {
        done.push(item.id);
        if (!(await isOurEcho(conversationKey, item))) {
          conversation = await deps.lifecycle.agentReplied(conversationKey);
          logger.info({ conversationKey, provider: item.provider }, 'a person answered from the business number: the bot steps back');
        }
      } else if (item.kind === 'text_only_notice') notices.push(item);
      else if (item.kind === 'welcome_request') welcomes.push(item);
      else texts.push(item);
    }
    // A turn replayed after a crash whose runs exist carries on with them, even if its own handoff already
    // changed the status: otherwise its messages would be forwarded instead of marked as the run processed them.
    const replaying = texts.length > 0 && conversation.handoffStatus !== 'bot' && (await deps.storage.getRun(runId)) !== undefined;
    const runsWorkflows = texts.length > 0 && (conversation.handoffStatus === 'bot' || replaying);
    let openCase: CaseRecord | undefined;
    if (texts.length + notices.length > 0) {
      // The first customer message with no open case opens one; later turns belong to it.
      const current = await deps.cases.current(conversationKey);
      // What the customer's writing changes happens at one moment, so it is asked for at once: the store
      // commits the writes together (each stays idempotent on its own, so a crash between them is replayed).
      [openCase] = await Promise.all([
        deps.cases.customerWrote(current),
        deps.lifecycle.customerWrote(conversationKey),
        runsWorkflows ? deps.cases.addRun(current.id, runId) : undefined,
      ]);
    }
    // Opening the chat is not a message: greeted when the bot answers, otherwise nothing to tell anyone.
    done.push(...welcomes.map((i) => i.id));
    if (welcomes.length > 0 && texts.length + notices.length === 0 && conversation.handoffStatus === 'bot') {
      await reply(conversation, outboxKeys.welcome(welcomes[0]!.provider, welcomes[0]!.messageId), WELCOME_GREETING);
    }

    if (conversation.handoffStatus !== 'bot' && !replaying) {
      // A person owns the conversation: the bot never answers; the agents see what the customer wrote.
      await forwardToAgents(conversation, [...texts, ...notices]);
      forwarded.push(...texts.map((i) => i.id), ...notices.map((i) => i.id));
    } else if (texts.length === 0 && notices.length > 0) {
      await reply(conversation, outboxKeys.textOnlyNotice(notices[0]!.provider, notices[0]!.messageId), TEXT_ONLY_NOTICE);
      done.push(...notices.map((i) => i.id));
    } else if (runsWorkflows && openCase) {
      const disposition = await runWorkflows(conversation, texts, runId, openCase);
      (disposition === 'forwarded' ? forwarded : done).push(...texts.map((i) => i.id), ...notices.map((i) => i.id));
    }
    deps.kickOutbox?.();
    await Promise.all([
      done.length ? deps.serviceStore.markInbox(done, 'done', now()) : undefined,
      forwarded.length ? deps.serviceStore.markInbox(forwarded, 'forwarded', now()) : undefined,
    ]);
  };

  /** The turn's workflows; `forwarded` when a person took the conversation while they ran (the bot stays silent). */
  async function runWorkflows(conversation: ConversationRecord, texts: InboxRecord[], runId: string, openCase: CaseRecord): Promise<'done' | 'forwarded'> {
    const key = conversation.conversationKey;
    const episode = await conversationFor(key, texts);
    const earlierBotTexts = episode.filter((m) => m.role === 'bot').map((m) => m.text);
    // The models see the customer and the bot's answers, not the bot's own questions (their example topics would
    // pull the typification toward them).
    const message = { messages: episode.filter((m) => m.role !== 'bot' || !botPrompts.has(m.text)) };
    // "oi", "bom dia", "?", "meu cartao de credito", "n ta funcionando": no issue named yet. The runs still
    // happen (every turn has its runs), but the typification records no path for it and the customer gets a
    // question (what they need, what about the product, what happened), never a self-service text.
    const unclear = clarificationNeeded(message.messages);
    // The case's protocol for every run of the case; the handoff ref keys this turn's alert if it escalates.
    const handoffRef = deps.cases.nextHandoffRef(openCase);
    const additionalData = {
      conversationKey: key,
      protocolNumber: openCase.protocolNumber,
      handoffRef,
      // Which inbox messages this turn processes: checked after a crash (bench verifier, tests).
      batchMessageIds: texts.map((item) => item.messageId),
      ...(conversation.name ? { customerName: conversation.name } : {}),
      ...(/^\d{8,15}$/.test(conversation.customer) ? { customerPhone: conversation.customer } : {}),
    };
    // The case's run for this turn was added with the customer's marks (processTurn).
    const typification = await runOnce(deps.workflows['conversation-typification'], { runId, sessionId: key, message, additionalData });
    const outcome = typification.content as TypificationOutcome;
    const typified = outcome.path ? typificationOfRun((await deps.storage.getSession(key))?.state, runId) : undefined;
    let handoff = outcome.handoff as HandoffOutcome | undefined;
    // The case's typification and its next run: written together (see processTurn).
    await Promise.all([
      typified ? deps.cases.botTypified(openCase.id, typified) : undefined,
      handoff ? undefined : deps.cases.addRun(openCase.id, `${runId}.handoff`),
    ]);
    if (!handoff) {
      const result = await runOnce(deps.workflows['human-handoff'], {
        runId: `${runId}.handoff`,
        sessionId: key,
        message,
        additionalData: { ...additionalData, protocolNumber: outcome.protocolNumber },
      });
      handoff = result.content as HandoffOutcome;
    }
    if (handoff.escalated && handoff.protocolNumber) {
      const ref = handoff.handoffRef ?? handoffRef;
      await deps.lifecycle.handoffCreated(key, { protocolNumber: handoff.protocolNumber, urgency: handoff.urgency, reason: handoff.reason ?? 'atendimento', handoffRef: ref });
      await deps.cases.handedOff(openCase, ref);
      if (handoff.customerMessage) await recordBotReply(conversation, outboxKeys.handoffAck(ref), handoff.customerMessage);
      logger.info({ conversationKey: key, protocolNumber: handoff.protocolNumber, urgency: handoff.urgency, reason: handoff.reason }, 'conversation handed to a human');
      return 'done';
    }
    // The status was read when the turn began; an agent may have claimed the conversation since (the models
    // take seconds). Read it again right before answering: a claimed conversation gets no bot answer.
    const current = await deps.serviceStore.getConversation(key);
    if (current && current.handoffStatus !== 'bot' && !(await alreadyAnswered(key, outboxKeys.botReply(runId)))) {
      await forwardToAgents(current, texts);
      logger.info({ conversationKey: key, runId }, 'conversation taken by a person during the turn; the bot stays silent');
      return 'forwarded';
    }
    const answer = unclear ? clarifyingReply(deps.selfService, unclear, earlierBotTexts) : botReply(deps.selfService, { path: outcome.path, route: outcome.route, earlierBotTexts, customerTurn: texts.map((item) => item.text).join('\n') });
    // A self-service answer starts the idle clock: silence after it closes the case (CASE_IDLE_CLOSE_HOURS).
    // Stamped with the reply's history entry, before its outbox row: a crash in between replays the turn,
    // which answers (and stamps) again.
    await reply(conversation, outboxKeys.botReply(runId), answer.text, runId, answer.kind === 'answer' ? () => deps.cases.selfServiceAnswered(openCase.id) : undefined);
    logger.info({ conversationKey: key, runId, route: outcome.route, replyKind: answer.kind, protocolNumber: outcome.protocolNumber }, 'bot answered');
    return 'done';
  }
}
