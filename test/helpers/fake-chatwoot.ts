/**
 * A fake Chatwoot on 127.0.0.1 that speaks the parts of its real API an agent bot uses, and calls the bot
 * back like Chatwoot does (AgentBotListener → AgentBotJob → POST to the bot's Outgoing URL):
 *
 *   POST /api/v1/accounts/:a/conversations/:c/messages          (api_access_token: <bot token>)
 *   POST /api/v1/accounts/:a/conversations/:c/toggle_status
 *   POST /api/v1/accounts/:a/conversations/:c/toggle_priority
 *   GET|POST /api/v1/accounts/:a/conversations/:c/labels
 *
 * Payloads follow Chatwoot's Message#webhook_data and Conversations::EventDataPresenter#push_data (v4.x).
 * Tests drive the people: a customer writes (incoming message → `message_created` to the bot), an agent sets
 * a status or replies. What the bot did is read back from the conversations (messages, status, labels,
 * priority) and from `violations` (anything Chatwoot would have refused).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signChatwootBody } from '../../src/webhooks/chatwoot/signature.js';

export type ChatwootStatus = 'open' | 'pending' | 'resolved' | 'snoozed';

export interface FakeMessage {
  id: number;
  content: string | null;
  messageType: 'incoming' | 'outgoing' | 'activity' | 'template';
  private: boolean;
  createdAt: number;
  sender: { id: number; name: string; type: 'contact' | 'user' | 'agent_bot' };
}

export interface FakeConversation {
  accountId: number;
  id: number;
  inboxId: number;
  status: ChatwootStatus;
  priority: 'urgent' | 'high' | 'medium' | 'low' | null;
  labels: string[];
  contact: { id: number; name: string; phone: string | null };
  messages: FakeMessage[];
  /** Every status change, with how many private notes the conversation had then (agents see the note on opening?). */
  statusChanges: Array<{ status: ChatwootStatus; privateNotes: number }>;
}

export interface FakeChatwootOptions {
  botToken?: string;
  /** Signs the callbacks like Chatwoot ≥ 4.13 (X-Chatwoot-Signature / X-Chatwoot-Timestamp). */
  signingSecret?: string;
  /** Chatwoot before chatwoot#14655: agent-bot tokens may not touch conversation labels. */
  labelsForbiddenForBots?: boolean;
}

export const FAKE_CHATWOOT = { botToken: 'fake-bot-token-Wm9kYXkK', accountId: 3, inboxId: 12, botId: 5 };

const ACCOUNT = { id: FAKE_CHATWOOT.accountId, name: 'Loja Exemplo' };
const INBOX = { id: FAKE_CHATWOOT.inboxId, name: 'WhatsApp Loja Exemplo' };
const BOT = { id: FAKE_CHATWOOT.botId, name: 'zapflow', avatar_url: '', type: 'agent_bot' };

function contactData(conversation: FakeConversation) {
  return {
    id: conversation.contact.id, name: conversation.contact.name, avatar: '', type: 'contact',
    phone_number: conversation.contact.phone, email: null, identifier: null, thumbnail: '',
    additional_attributes: {}, custom_attributes: {}, account: ACCOUNT,
  };
}

/** Message#push_event_data (integer message_type, Unix created_at, account_id). */
function pushEventData(conversation: FakeConversation, message: FakeMessage) {
  return {
    id: message.id, content: message.content, account_id: conversation.accountId, inbox_id: conversation.inboxId,
    conversation_id: conversation.id, message_type: ['incoming', 'outgoing', 'activity', 'template'].indexOf(message.messageType),
    created_at: Math.floor(message.createdAt / 1000), updated_at: new Date(message.createdAt).toISOString(), private: message.private,
    status: 'sent', source_id: null, content_type: 'text', content_attributes: {}, sender_type: message.sender.type === 'contact' ? 'Contact' : message.sender.type === 'user' ? 'User' : 'AgentBot',
    sender_id: message.sender.id, external_source_ids: {}, additional_attributes: {}, processed_message_content: message.content, sentiment: {},
  };
}

/** Conversation#webhook_data = Conversations::EventDataPresenter#push_data. */
export function conversationWebhookData(conversation: FakeConversation) {
  const last = conversation.messages.filter((m) => m.messageType !== 'activity' && !m.private).at(-1);
  const now = Math.floor(Date.now() / 1000);
  return {
    additional_attributes: {}, can_reply: true, channel: 'Channel::Whatsapp',
    contact_inbox: { id: conversation.contact.id + 1000, contact_id: conversation.contact.id, inbox_id: conversation.inboxId, source_id: conversation.contact.phone?.replace(/\D/g, '') ?? 'sem-telefone', created_at: '2026-03-10T14:00:00.000Z', updated_at: '2026-03-10T14:00:00.000Z', hmac_verified: false, pubsub_token: 'pubsub-fake' },
    id: conversation.id, inbox_id: conversation.inboxId,
    messages: last ? [pushEventData(conversation, last)] : [],
    labels: conversation.labels,
    meta: { sender: contactData(conversation), assignee: null, team: null, hmac_verified: false },
    status: conversation.status, custom_attributes: {}, snoozed_until: null, unread_count: 1, first_reply_created_at: null,
    priority: conversation.priority, waiting_since: now, agent_last_seen_at: 0, contact_last_seen_at: 0,
    last_activity_at: now, timestamp: now, created_at: now, updated_at: Date.now() / 1000,
  };
}

/** Message#webhook_data + `event`, as AgentBotListener#message_created posts it. */
export function messageCreatedPayload(conversation: FakeConversation, message: FakeMessage) {
  const sender = message.sender.type === 'contact'
    ? contactData(conversation)
    : message.sender.type === 'user'
      ? { id: message.sender.id, name: message.sender.name, avatar_url: '', type: 'user', available_name: message.sender.name, email: 'agente@example.com' }
      : BOT;
  return {
    account: ACCOUNT, additional_attributes: {}, content_attributes: {}, content_type: 'text', content: message.content,
    conversation: conversationWebhookData(conversation), created_at: new Date(message.createdAt).toISOString(), id: message.id,
    inbox: INBOX, message_type: message.messageType, private: message.private, sender, source_id: null, event: 'message_created',
  };
}

export class FakeChatwoot {
  readonly violations: string[] = [];
  /** Every API request the bot made, in order. */
  readonly requests: Array<{ method: string; path: string; body: unknown }> = [];
  /** How many more API requests answer 503 (Chatwoot down). */
  failNext = 0;
  private readonly conversations = new Map<string, FakeConversation>();
  private server: Server | undefined;
  private url = '';
  private botUrl: string | undefined;
  private nextMessageId = 4800;
  private nextConversationId = 57;
  private nextContactId = 70;
  private readonly callbacks = new Set<Promise<unknown>>();
  private readonly options: Required<Pick<FakeChatwootOptions, 'botToken' | 'labelsForbiddenForBots'>> & FakeChatwootOptions;

  constructor(options: FakeChatwootOptions = {}) {
    this.options = { botToken: FAKE_CHATWOOT.botToken, labelsForbiddenForBots: false, ...options };
  }

  get baseUrl(): string {
    return this.url;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The agent bot's Outgoing URL. */
  connectBot(outgoingUrl: string): void {
    this.botUrl = outgoingUrl;
  }

  async stop(): Promise<void> {
    await this.idle();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Waits for the callbacks Chatwoot is still posting to the bot. */
  async idle(): Promise<void> {
    while (this.callbacks.size > 0) await Promise.allSettled([...this.callbacks]);
  }

  conversation(id: number): FakeConversation {
    const found = this.conversations.get(String(id));
    if (!found) throw new Error(`no fake Chatwoot conversation ${id}`);
    return found;
  }

  /** A new WhatsApp conversation in an inbox with an active agent bot: Chatwoot opens it as `pending`. */
  newConversation(contact: { name: string; phone: string | null }): FakeConversation {
    const conversation: FakeConversation = {
      accountId: FAKE_CHATWOOT.accountId, id: this.nextConversationId++, inboxId: FAKE_CHATWOOT.inboxId, status: 'pending',
      priority: null, labels: [], contact: { id: this.nextContactId++, ...contact }, messages: [], statusChanges: [],
    };
    this.conversations.set(String(conversation.id), conversation);
    return conversation;
  }

  /** The customer writes: stored in Chatwoot, then `message_created` goes to the bot. Resolves with the bot's answer status. */
  async customerWrites(conversation: FakeConversation, content: string): Promise<{ status: number; message: FakeMessage; payload: unknown }> {
    // Message#reopen_conversation: a resolved conversation of an inbox with an active bot goes back to pending.
    if (conversation.status === 'resolved') conversation.status = 'pending';
    if (conversation.status === 'snoozed') conversation.status = 'open';
    const message = this.addMessage(conversation, { content, messageType: 'incoming', private: false, sender: { id: conversation.contact.id, name: conversation.contact.name, type: 'contact' } });
    const payload = messageCreatedPayload(conversation, message);
    return { status: await this.deliver(payload), message, payload };
  }

  /** Posts a payload to the bot again (Chatwoot's job retried, or a proxy repeating it). */
  async redeliver(payload: unknown): Promise<number> {
    return this.deliver(payload);
  }

  /** An agent changes the status in Chatwoot's UI; the bot hears of `open` and `resolved` (conversation_opened / _resolved). */
  async agentSetsStatus(conversation: FakeConversation, status: ChatwootStatus): Promise<void> {
    await this.changeStatus(conversation, status);
    await this.idle();
  }

  /** An agent writes to the customer from Chatwoot. */
  async agentReplies(conversation: FakeConversation, content: string): Promise<number> {
    const message = this.addMessage(conversation, { content, messageType: 'outgoing', private: false, sender: { id: 9, name: 'Ana Agente', type: 'user' } });
    return this.deliver(messageCreatedPayload(conversation, message));
  }

  /** What the bot posted in the thread: replies to the customer and private notes. */
  botMessages(conversation: FakeConversation, options: { private?: boolean } = {}): FakeMessage[] {
    return conversation.messages.filter((m) => m.sender.type === 'agent_bot' && (options.private === undefined || m.private === options.private));
  }

  private addMessage(conversation: FakeConversation, message: Omit<FakeMessage, 'id' | 'createdAt'>): FakeMessage {
    const created: FakeMessage = { ...message, id: this.nextMessageId++, createdAt: Date.now() };
    conversation.messages.push(created);
    return created;
  }

  private async changeStatus(conversation: FakeConversation, status: ChatwootStatus): Promise<void> {
    if (conversation.status === status) return;
    conversation.status = status;
    conversation.statusChanges.push({ status, privateNotes: conversation.messages.filter((m) => m.private).length });
    if (status === 'open' || status === 'resolved') {
      this.callback({ ...conversationWebhookData(conversation), event: status === 'open' ? 'conversation_opened' : 'conversation_resolved' });
    }
  }

  /** A callback Chatwoot posts on its own (after an API call), not awaited by the caller. */
  private callback(payload: unknown): void {
    const sent = this.deliver(payload).catch(() => 0);
    this.callbacks.add(sent);
    void sent.finally(() => this.callbacks.delete(sent));
  }

  private async deliver(payload: unknown): Promise<number> {
    if (!this.botUrl) throw new Error('connectBot(url) first');
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.options.signingSecret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers['x-chatwoot-timestamp'] = String(timestamp);
      headers['x-chatwoot-signature'] = signChatwootBody(this.options.signingSecret, timestamp, body);
      headers['x-chatwoot-delivery'] = `delivery-${this.nextMessageId}`;
    }
    const response = await fetch(this.botUrl, { method: 'POST', headers, body });
    await response.arrayBuffer();
    return response.status;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    this.requests.push({ method: req.method ?? '', path, body });
    const send = (status: number, answer?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(answer === undefined ? '' : JSON.stringify(answer));
    };
    if (req.headers.api_access_token !== this.options.botToken) return send(401, { error: 'Invalid Access Token' });
    if (this.failNext > 0) {
      this.failNext--;
      return send(503, { error: 'Service Unavailable' });
    }
    const match = /^\/api\/v1\/accounts\/(\d+)\/conversations\/(\d+)\/(messages|toggle_status|toggle_priority|labels)$/.exec(path);
    const conversation = match ? this.conversations.get(match[2]!) : undefined;
    if (!match || !conversation || Number(match[1]) !== conversation.accountId) {
      this.violations.push(`unexpected ${req.method} ${path}`);
      return send(404, { error: 'Resource could not be found' });
    }
    const action = match[3];
    const record = (body ?? {}) as Record<string, unknown>;
    if (req.method === 'POST' && !String(req.headers['content-type']).startsWith('application/json')) this.violations.push(`${action}: content-type is not application/json`);

    if (action === 'messages' && req.method === 'POST') {
      if (typeof record.content !== 'string' || record.content.length === 0) {
        this.violations.push('messages: content must be a non-empty string');
        return send(422, { message: "Content can't be blank" });
      }
      if (record.message_type !== undefined && record.message_type !== 'outgoing') this.violations.push(`messages: a bot posts outgoing messages, got ${String(record.message_type)}`);
      const message = this.addMessage(conversation, { content: record.content, messageType: 'outgoing', private: record.private === true, sender: { id: BOT.id, name: BOT.name, type: 'agent_bot' } });
      // Chatwoot tells the bot about every message, its own included (webhook_sendable?).
      this.callback(messageCreatedPayload(conversation, message));
      return send(200, {
        id: message.id, content: message.content, inbox_id: conversation.inboxId, conversation_id: conversation.id, message_type: 1, content_type: 'text',
        status: 'sent', content_attributes: {}, created_at: Math.floor(message.createdAt / 1000), private: message.private, source_id: null,
        sender: { ...BOT, thumbnail: '' },
      });
    }
    if (action === 'toggle_status' && req.method === 'POST') {
      const status = record.status;
      if (status !== 'open' && status !== 'pending' && status !== 'resolved' && status !== 'snoozed') {
        this.violations.push(`toggle_status: unknown status ${String(status)}`);
        return send(422, { error: 'Invalid status' });
      }
      await this.changeStatus(conversation, status);
      return send(200, { meta: {}, payload: { success: true, current_status: conversation.status, conversation_id: conversation.id } });
    }
    if (action === 'toggle_priority' && req.method === 'POST') {
      const priority = record.priority;
      if (priority !== 'urgent' && priority !== 'high' && priority !== 'medium' && priority !== 'low' && priority !== null) {
        this.violations.push(`toggle_priority: unknown priority ${String(priority)}`);
        return send(422, { error: 'Invalid priority' });
      }
      conversation.priority = priority;
      return send(200);
    }
    if (action === 'labels') {
      if (this.options.labelsForbiddenForBots) return send(401, { error: 'Access to this endpoint is not authorized for bots' });
      if (req.method === 'GET') return send(200, { payload: conversation.labels });
      const labels = record.labels;
      if (!Array.isArray(labels) || labels.some((label) => typeof label !== 'string' || !/^[a-z0-9_-]+$/.test(label))) {
        this.violations.push(`labels: not a list of Chatwoot labels: ${JSON.stringify(labels)}`);
        return send(422, { error: 'Invalid labels' });
      }
      conversation.labels = labels as string[];
      return send(200, { payload: conversation.labels });
    }
    this.violations.push(`unexpected ${req.method} ${path}`);
    return send(404, { error: 'Resource could not be found' });
  }
}

export async function startFakeChatwoot(options: FakeChatwootOptions = {}): Promise<FakeChatwoot> {
  return new FakeChatwoot(options).start();
}
