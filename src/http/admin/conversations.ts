/**
 * Conversations:
 *
 *   GET  /admin/conversations/:key?messages=20   handoff status, typification, escalation, protocols, recent messages (masked)
 *   POST /admin/conversations/:key/claim { agent }   an agent takes it (→ human)
 *   POST /admin/conversations/:key/release           back to the bot (409 if the bot already has it)
 *
 * Keys contain ':' (`meta:<phone id>:<customer>`); send them URL-encoded (`meta%3A…`) or as they are, both
 * route here: a route parameter matches any characters but '/', and express decodes it.
 * Transitions go through ConversationLifecycle, so the admin API checks them like the service does.
 */
import type { Router } from 'express';
import { ConversationNotFoundError } from '../../conversations/store/types.js';
import { readConversationState } from '../../workflows/session-state.js';
import { buildConversationView } from './conversation-view.js';
import type { AdminPorts } from './ports.js';
import { withIsoTimestamps } from './timestamps.js';
import { ClaimBody, ConversationQuery, parseInput } from './schemas.js';

export function mountConversationRoutes(router: Router, ports: AdminPorts): void {
  const { storage, serviceStore, lifecycle } = ports;

  const loadView = async (conversationKey: string, messageCount: number): Promise<ReturnType<typeof buildConversationView>> => {
    const conversation = await serviceStore.getConversation(conversationKey);
    if (!conversation) throw new ConversationNotFoundError(conversationKey);
    const [session, messages] = await Promise.all([
      storage.getSession(conversationKey),
      messageCount > 0 ? serviceStore.recentMessages(conversationKey, messageCount) : Promise.resolve([]),
    ]);
    return buildConversationView(conversation, readConversationState(session?.state), messages);
  };

  router.get('/admin/conversations/:key', async (req, res) => {
    const query = parseInput(ConversationQuery, req.query, 'query');
    res.json(withIsoTimestamps(await loadView(req.params.key, query.messages)));
  });

  router.post('/admin/conversations/:key/claim', async (req, res) => {
    const body = parseInput(ClaimBody, req.body, 'body');
    await lifecycle.claim(req.params.key, body.agent);
    res.json(withIsoTimestamps(await loadView(req.params.key, 0)));
  });

  router.post('/admin/conversations/:key/release', async (req, res) => {
    await lifecycle.release(req.params.key);
    res.json(withIsoTimestamps(await loadView(req.params.key, 0)));
  });
}
