/**
 * `npm run demo`: the real service, in-process, on a free loopback port, with embedded defaults (SQLite in a
 * temp dir, the offline classifier, dry-run WhatsApp). About 20 realistic conversations (demo/
 * conversations.json) arrive as signed Meta and Evolution webhooks over real HTTP; the demo shows live which
 * workflow and step each conversation is in, what the customer and the agents receive, then runs an admin
 * rerun through the authenticated API and ends with a summary table. No key, no network.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { createApp, type App } from '../../app.js';
import { loadConfig } from '../../config.js';
import type { WorkflowEvent } from '../../engine/index.js';
import { silentLogger } from '../../logging.js';
import type { SentMessageRecord } from '../../mcp/index.js';
import { packageRoot } from '../../package-root.js';
import { maskPhone } from '../../privacy.js';
import { buildEvolutionTextWebhook, buildMetaTextWebhook } from '../../webhooks/sign.js';
import { type DemoConversation, type DemoRow, renderSummary, summarize } from './summary.js';

const demoFileSchema = z.object({
  conversations: z.array(
    z.object({
      id: z.string(),
      provider: z.enum(['meta', 'evolution']),
      customer: z.object({ name: z.string(), phone: z.string().regex(/^\d{10,15}$/) }),
      scenario: z.string(),
      expect: z.object({ outcome: z.enum(['self_service', 'clarifying_question', 'escalation']) }).passthrough(),
      messages: z.array(z.object({ text: z.string().min(1), delayMs: z.number().int().min(0) })).min(1),
    }),
  ),
});

export interface DemoOutput {
  write(line: string): void;
}

export interface ServiceDemoOptions {
  /** Multiplies the conversations' pauses between messages (0.25 = four times faster). @default 1 */
  speed?: number;
  /** Quiet time that coalesces a customer's messages into one turn. @default 2000 (the product default) */
  coalesceWindowMs?: number;
  conversationsFile?: string;
}

const AGENT_NUMBER = '5511900000090';
const INSTANCE = 'zapflow-demo';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function defaultConversationsFile(): string {
  return join(packageRoot(), 'demo', 'conversations.json');
}

export async function runServiceDemo(out: DemoOutput, options: ServiceDemoOptions = {}): Promise<DemoRow[]> {
  const conversations: DemoConversation[] = demoFileSchema.parse(JSON.parse(readFileSync(options.conversationsFile ?? defaultConversationsFile(), 'utf8'))).conversations;
  const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-demo-'));
  const secrets = { meta: randomBytes(12).toString('hex'), verify: randomBytes(12).toString('hex'), evolution: randomBytes(12).toString('hex'), admin: randomBytes(16).toString('hex') };
  const config = loadConfig(
    {
      PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ZAPFLOW_DATA_DIR: dataDir,
      WHATSAPP_APP_SECRET: secrets.meta, WHATSAPP_VERIFY_TOKEN: secrets.verify, EVOLUTION_WEBHOOK_SECRET: secrets.evolution,
      ADMIN_TOKEN: secrets.admin, AGENT_ALERT_NUMBERS: AGENT_NUMBER, COALESCE_WINDOW_MS: String(options.coalesceWindowMs ?? 2000),
    },
    { purpose: 'serve' },
  );
  const byKey = new Map(conversations.map((c) => [c.provider === 'meta' ? `meta:100000000000002:${c.customer.phone}` : `evolution:${INSTANCE}:${c.customer.phone}`, c]));
  const label = (key: string) => byKey.get(key)?.id ?? key;
  const started = Date.now();
  const stamp = () => `+${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;

  const app = await createApp(config, { logger: silentLogger, onEvent: (workflow, key, event) => {
    const line = describeEvent(workflow, event);
    if (line) out.write(`${stamp()}  ⚙ ${label(key)}  ${line}`);
  } });
  try {
    const url = await app.start();
    out.write(`zapflow demo — service at ${url} · storage ${app.storage.kind} (${dataDir}) · model ${config.model.kind} · WhatsApp ${config.sender.kind}`);
    out.write(`${conversations.length} conversations arrive as signed Meta and Evolution webhooks; agents are alerted at ${maskPhone(AGENT_NUMBER)}.\n`);

    const printed = new Set<string>();
    const printSent = async () => {
      for (const record of (await app.whatsapp?.log.list({ limit: 10_000 })) ?? []) {
        if (printed.has(record.messageId)) continue;
        printed.add(record.messageId);
        out.write(describeSent(record, byKey, stamp()));
      }
    };
    const poller = setInterval(() => void printSent(), 250);
    try {
      await Promise.all(conversations.map((conversation, index) => sendConversation(url, secrets, conversation, index, options.speed ?? 1, out, stamp)));
      await app.settle();
      await printSent();
      await adminRerun(app, url, secrets.admin, out);
      await app.settle();
      await printSent();
    } finally {
      clearInterval(poller);
    }
    const rows = await summarize(app, byKey);
    out.write('');
    for (const line of renderSummary(rows)) out.write(line);
    return rows;
  } finally {
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function sendConversation(
  url: string,
  secrets: { meta: string; evolution: string },
  conversation: DemoConversation,
  index: number,
  speed: number,
  out: DemoOutput,
  stamp: () => string,
): Promise<void> {
  await sleep(index * 300 * speed);
  for (const message of conversation.messages) {
    await sleep(message.delayMs * speed);
    const request =
      conversation.provider === 'meta'
        ? buildMetaTextWebhook({ appSecret: secrets.meta, from: conversation.customer.phone, name: conversation.customer.name, text: message.text })
        : buildEvolutionTextWebhook({ secret: secrets.evolution, instance: INSTANCE, from: conversation.customer.phone, name: conversation.customer.name, text: message.text });
    const response = await fetch(`${url}${request.path}`, { method: 'POST', headers: request.headers, body: request.body });
    out.write(`${stamp()}  📩 ${conversation.id} ${conversation.customer.name} (${conversation.provider}) → ${response.status}: ${message.text}`);
  }
}

/** One line per step that matters to a reader; the rest of the event stream stays quiet. */
function describeEvent(workflow: string, event: WorkflowEvent): string | undefined {
  const short = workflow === 'conversation-typification' ? 'typification' : 'handoff';
  if (event.type === 'StepCompleted') {
    const content = event.data.content as Record<string, unknown> | string | undefined;
    const path = event.stepPath ?? '';
    const name = path.split('/').at(-1) ?? path;
    if (typeof content === 'object' && content && 'id' in content && 'confidence' in content) {
      return `${short} › ${name} ✓ ${String(content.id)} (${Number(content.confidence).toFixed(2)})`;
    }
    if (name === 'escalation_analysis' && typeof content === 'object' && content) {
      return `${short} › ${name} ✓ escalate=${String(content.escalate)}${content.reason ? ` (${String(content.reason)}, ${String(content.urgency)})` : ''}`;
    }
    if (name === 'protocol_generation' && typeof content === 'object' && content) return `${short} › ${path} ✓ protocol ${String(content.protocolNumber)}`;
    if (['validation', 'whatsapp_notification', 'handoff_completion', 'path_validation', 'low_confidence'].includes(name)) return `${short} › ${path} ✓`;
    return undefined;
  }
  if (event.type === 'RouterExecutionCompleted') return `${short} › ${event.stepPath} → route "${String(event.data.route)}"`;
  if (event.type === 'StepError') return `${short} › ${event.stepPath} ✗ ${event.data.error.message}`;
  return undefined;
}

function describeSent(record: SentMessageRecord, byKey: Map<string, DemoConversation>, stamp: string): string {
  const digits = record.recipient.replace(/\D/g, '');
  const text = (record.text ?? '').replace(/\s+/g, ' ');
  if (digits === AGENT_NUMBER) return `${stamp}  🔔 alert to agents: ${text.slice(0, 160)}${text.length > 160 ? '…' : ''}`;
  const conversation = [...byKey.values()].find((c) => c.customer.phone === digits);
  return `${stamp}  📤 ${conversation?.id ?? maskPhone(digits)} ← bot: ${text.slice(0, 160)}${text.length > 160 ? '…' : ''}`;
}

/** The admin's rerun webhook, through the authenticated API: re-classify a handed-over turn from the product level. */
async function adminRerun(app: App, url: string, adminToken: string, out: DemoOutput): Promise<void> {
  const waiting = await app.serviceStore.listConversations({ handoffStatus: 'waiting_human', limit: 1 });
  const key = waiting[0]?.conversationKey;
  if (!key) return;
  const { runs } = await app.storage.listRuns({ sessionId: key, workflowName: 'conversation-typification', limit: 1 });
  const original = runs[0];
  if (!original) return;
  const alertsBefore = (await app.storage.listOutbox({ limit: 10_000 })).filter((r) => r.topic === 'agent_alert').length;
  out.write(`\n🛠  admin: POST /admin/runs/${original.runId}/rerun { fromStep: "product_classification" }`);
  const response = await fetch(`${url}/admin/runs/${original.runId}/rerun`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fromStep: 'product_classification' }),
  });
  const body = (await response.json()) as { runId?: string };
  out.write(`🛠  → ${response.status} new run ${body.runId ?? '?'}`);
  for (let i = 0; i < 100 && body.runId; i++) {
    const run = await app.storage.getRun(body.runId);
    if (run && run.status !== 'running') {
      const alertsAfter = (await app.storage.listOutbox({ limit: 10_000 })).filter((r) => r.topic === 'agent_alert').length;
      const before = original.content as { path?: { businessUnit?: string; submotive?: string } | null; protocolNumber?: string } | undefined;
      const after = run.content as typeof before;
      out.write(
        `🛠  rerun ${run.status}: business unit ${after?.path?.businessUnit ?? '—'} (was ${before?.path?.businessUnit ?? '—'}), ` +
          `submotive ${after?.path?.submotive ?? '—'}, protocol ${after?.protocolNumber === before?.protocolNumber ? 'unchanged' : 'CHANGED'} ` +
          `(${after?.protocolNumber ?? '—'}), ${alertsAfter - alertsBefore} new alert(s) to agents`,
      );
      return;
    }
    await sleep(50);
  }
}
