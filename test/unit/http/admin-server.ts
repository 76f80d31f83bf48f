/**
 * A real HTTP server on 127.0.0.1 (port 0) with the admin router mounted on in-memory stores and a
 * recording fake of the workflows port. Tests talk to it with fetch, as an admin's tool would.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { ConversationLifecycle } from '../../../src/service/lifecycle.js';
import { MemoryServiceStore } from '../../../src/conversations/store/memory.js';
import type { InboxItem } from '../../../src/conversations/store/types.js';
import { UnknownStepError } from '../../../src/engine/errors.js';
import { MemoryStorage } from '../../../src/engine/storage/memory.js';
import type { RunRecord, RunStatus } from '../../../src/engine/storage/types.js';
import { type AdminPorts, type AdminWorkflowsPort, createAdminRouter } from '../../../src/http/admin/index.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const WORKFLOW_IDS = ['conversation-typification', 'human-handoff'];
export const TYPIFICATION_STEPS = ['classify_business_unit', 'classify_product', 'classify_motive', 'classify_submotive', 'validate'];

export interface FakeWorkflows extends AdminWorkflowsPort {
  started: Array<{ workflowId: string; conversationKey: string; message: string }>;
  reruns: Array<{ runId: string; fromStep?: string }>;
}

export function fakeWorkflows(): FakeWorkflows {
  let next = 1;
  const fake: FakeWorkflows = {
    started: [],
    reruns: [],
    ids: () => [...WORKFLOW_IDS],
    start: async (workflowId, input) => {
      fake.started.push({ workflowId, ...input });
      return { runId: `run-started-${next++}` };
    },
    rerun: async (runId, options) => {
      if (options.fromStep !== undefined && !TYPIFICATION_STEPS.includes(options.fromStep)) {
        throw new UnknownStepError('conversation-typification', options.fromStep, TYPIFICATION_STEPS);
      }
      fake.reruns.push({ runId, ...options });
      return { runId: `run-rerun-${next++}` };
    },
  };
  return fake;
}

export interface AdminTestServer {
  baseUrl: string;
  storage: MemoryStorage;
  serviceStore: MemoryServiceStore;
  lifecycle: ConversationLifecycle;
  workflows: FakeWorkflows;
  /** How many times the router woke the outbox dispatcher. */
  kicks(): number;
  now: number;
  /** fetch with the admin token (unless `token` is given; `null` sends no Authorization header). */
  call(method: string, path: string, options?: { body?: unknown; rawBody?: string; token?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const NOW = Date.UTC(2025, 4, 20, 12, 0, 0);

export async function startAdminServer(overrides: Partial<AdminPorts> = {}): Promise<AdminTestServer> {
  const storage = new MemoryStorage();
  const serviceStore = new MemoryServiceStore();
  const now = () => NOW;
  const lifecycle = new ConversationLifecycle(serviceStore, now);
  const workflows = fakeWorkflows();
  let kicks = 0;

  const app = express();
  app.use(createAdminRouter({ adminToken: ADMIN_TOKEN, storage, serviceStore, lifecycle, workflows, kickOutbox: () => void kicks++, now, ...overrides }));
  // A non-admin route beside it: the admin router must not authenticate or answer for it.
  app.get('/public', (_req, res) => {
    res.json({ public: true });
  });

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl, storage, serviceStore, lifecycle, workflows, now: NOW,
    kicks: () => kicks,
    call: async (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? ADMIN_TOKEN : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    },
    close: async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // fetch keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      });
    },
  };
}

export function runRecord(runId: string, fields: { workflowName?: string; sessionId?: string; status?: RunStatus; createdAt: number }): RunRecord {
  return {
    runId,
    workflowName: fields.workflowName ?? 'conversation-typification',
    sessionId: fields.sessionId ?? 'meta:100000000000002:5511987654321',
    status: fields.status ?? 'completed',
    input: { message: 'quero a segunda via do boleto' },
    initialState: {},
    createdAt: fields.createdAt,
    updatedAt: fields.createdAt,
  };
}

export function inboxItem(conversationKey: string, customer: string, messageId: string, text: string, sentAt: number): InboxItem {
  return { provider: 'meta', messageId, conversationKey, kind: 'text', customer, name: 'Maria', text, sentAt };
}
