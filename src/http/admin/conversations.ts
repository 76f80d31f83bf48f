/**
 * Conversations (agents and admins):
 *
 *   GET  /admin/conversations?query=&status=&limit=    search by phone (full or last digits), name or protocol
 *   GET  /admin/conversations/:key?messages=50         handoff, cases, thread, typification, escalation (masked)
 *   POST /admin/conversations/:key/claim { reassign? } take it (409 with `heldBy` when another agent holds it)
 *   POST /admin/conversations/:key/release             back to the bot (the customer is told)
 *   POST /admin/conversations/:key/reply { text }      send to the customer as the agent (outbox → MCP → WhatsApp)
 *   POST /admin/conversations/:key/resolve             resolve the open case (the customer is told)
 *   POST /admin/conversations/:key/typification { businessUnit, product, motive, submotive }   correct it
 *
 * Keys contain ':' (`meta:<phone id>:<customer>`); send them URL-encoded (`meta%3A…`) or as they are, both
 * route here: a route parameter matches any characters but '/', and express decodes it.
 * Every action goes through AgentActions, which checks the rules and writes the audit log.
 */
import type { Router } from 'express';
import type { AgentActions } from '../../service/agent-actions.js';
import { ConversationNotFoundError } from '../../conversations/store/types.js';
import type { ServiceStore } from '../../conversations/store/types.js';
import type { Storage } from '../../engine/index.js';
import type { Taxonomy } from '../../taxonomy/index.js';
import { readConversationState } from '../../workflows/session-state.js';
import { actorOf } from './actor.js';
import { buildCaseView, iso, type CaseView } from './case-view.js';
import { buildConversationView, type ConversationView } from './conversation-view.js';
import { maskPhone, scrubPersonalData } from '../../privacy.js';
import { ClaimBody, ConversationQuery, ListConversationsQuery, ReplyBody, TypificationBody, parseInput } from './schemas.js';
import { withIsoTimestamps } from './timestamps.js';

/** Cases of a conversation, newest first, with their typification history and runs. */
export async function loadCaseViews(serviceStore: ServiceStore, taxonomy: Taxonomy, conversationKey: string, limit = 20): Promise<CaseView[]> {
  const cases = await serviceStore.cases.casesOf(conversationKey, limit);
  return Promise.all(cases.map(async (record) => buildCaseView(
    taxonomy, record, await serviceStore.cases.typificationsOf(record.id), await serviceStore.cases.caseRuns(record.id),
  )));
}

export async function loadConversationView(deps: { storage: Storage; serviceStore: ServiceStore; taxonomy: Taxonomy }, conversationKey: string, messageCount: number): Promise<ConversationView> {
  const conversation = await deps.serviceStore.getConversation(conversationKey);
  if (!conversation) throw new ConversationNotFoundError(conversationKey);
  const [session, messages, cases] = await Promise.all([
    deps.storage.getSession(conversationKey),
    messageCount > 0 ? deps.serviceStore.recentMessages(conversationKey, messageCount) : Promise.resolve([]),
    loadCaseViews(deps.serviceStore, deps.taxonomy, conversationKey),
  ]);
  return buildConversationView(conversation, readConversationState(session?.state), messages, cases);
}

export function mountConversationRoutes(router: Router, deps: { storage: Storage; serviceStore: ServiceStore; taxonomy: Taxonomy; actions: AgentActions }): void {
  const { serviceStore, actions } = deps;
  const view = (key: string, messages = 0) => loadConversationView(deps, key, messages);

  router.get('/admin/conversations', async (req, res) => {
    const query = parseInput(ListConversationsQuery, req.query, 'query');
    const keys = query.query !== undefined
      ? await serviceStore.cases.searchConversations(query.query, query.limit)
      : (await serviceStore.listConversations({ ...(query.status ? { handoffStatus: query.status } : {}), limit: query.limit })).map((c) => c.conversationKey);
    const items = [];
    for (const key of keys) {
      const conversation = await serviceStore.getConversation(key);
      if (!conversation || (query.status && conversation.handoffStatus !== query.status)) continue;
      const [latest] = await serviceStore.cases.casesOf(key, 1);
      items.push({
        key,
        name: conversation.name ? scrubPersonalData(conversation.name) : null,
        customer: maskPhone(conversation.customer),
        provider: conversation.provider,
        status: conversation.handoffStatus,
        assignedAgent: conversation.assignedAgent ? { id: conversation.assignedAgent, name: conversation.assignedAgentName ?? conversation.assignedAgent } : null,
        protocolNumber: latest?.protocolNumber ?? conversation.protocolNumber ?? null,
        caseStatus: latest?.status ?? null,
        lastCustomerMessageAt: iso(conversation.lastCustomerMessageAt),
        updatedAt: iso(conversation.updatedAt),
      });
    }
    res.json(withIsoTimestamps({ items }));
  });

  router.get('/admin/conversations/:key', async (req, res) => {
    const query = parseInput(ConversationQuery, req.query, 'query');
    res.json(withIsoTimestamps(await view(req.params.key, query.messages)));
  });

  router.post('/admin/conversations/:key/claim', async (req, res) => {
    const body = parseInput(ClaimBody, req.body ?? {}, 'body');
    const actor = actorOf(res);
    await actions.claim(req.params.key, actor, {
      ...(body.reassign !== undefined ? { reassign: body.reassign } : {}),
      ...(body.agent !== undefined && actor.kind === 'token' ? { onBehalfOf: body.agent } : {}),
    });
    res.json(withIsoTimestamps(await view(req.params.key)));
  });

  router.post('/admin/conversations/:key/release', async (req, res) => {
    await actions.release(req.params.key, actorOf(res));
    res.json(withIsoTimestamps(await view(req.params.key)));
  });

  router.post('/admin/conversations/:key/reply', async (req, res) => {
    const body = parseInput(ReplyBody, req.body, 'body');
    const sent = await actions.reply(req.params.key, actorOf(res), body.text, body.replyId ? { replyId: body.replyId } : {});
    res.status(202).json(withIsoTimestamps({ outboxKey: sent.outboxKey, conversation: await view(req.params.key, 50) }));
  });

  router.post('/admin/conversations/:key/resolve', async (req, res) => {
    await actions.resolve(req.params.key, actorOf(res));
    res.json(withIsoTimestamps(await view(req.params.key)));
  });

  router.post('/admin/conversations/:key/typification', async (req, res) => {
    const body = parseInput(TypificationBody, req.body, 'body');
    await actions.correctTypification(req.params.key, actorOf(res), body);
    res.json(withIsoTimestamps(await view(req.params.key)));
  });
}
