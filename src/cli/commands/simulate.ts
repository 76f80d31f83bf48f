/**
 * `zapflow simulate --from 5511900000001 --text "minha maquininha não liga"`: posts ONE webhook to a running
 * zapflow exactly as the provider would (Meta: signed with the app secret over the raw bytes; Evolution: the
 * shared-secret header), so an operator can try a deployment end to end without a phone.
 */
import type { Command } from 'commander';
import { buildEvolutionTextWebhook, buildMetaTextWebhook, type WebhookRequest } from '../../webhooks/sign.js';

export interface SimulateOptions {
  url: string;
  provider: 'meta' | 'evolution';
  from: string;
  text: string;
  name?: string;
  /** Meta app secret or Evolution webhook secret. */
  secret: string;
  instance?: string;
}

export interface SimulateResult {
  status: number;
  messageId: string;
  body: string;
}

export function buildSimulatedWebhook(options: SimulateOptions): WebhookRequest {
  if (!/^\d{8,15}$/.test(options.from)) throw new Error(`--from must be a phone number with 8 to 15 digits (e.g. 5511900000001), got "${options.from}"`);
  if (options.text.trim() === '') throw new Error('--text must not be empty');
  const common = { from: options.from, text: options.text, ...(options.name ? { name: options.name } : {}) };
  return options.provider === 'meta'
    ? buildMetaTextWebhook({ ...common, appSecret: options.secret })
    : buildEvolutionTextWebhook({ ...common, secret: options.secret, instance: options.instance ?? 'zapflow' });
}

export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const request = buildSimulatedWebhook(options);
  const response = await fetch(new URL(request.path, options.url), { method: 'POST', headers: request.headers, body: request.body });
  return { status: response.status, messageId: request.messageId, body: await response.text() };
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Post one correctly signed WhatsApp webhook (a customer text message) to a running zapflow')
    .requiredOption('--from <number>', 'customer phone number, digits only (e.g. 5511900000001)')
    .requiredOption('--text <text>', 'the message text')
    .option('--url <url>', 'base URL of the running zapflow', `http://127.0.0.1:${process.env.PORT ?? 3000}`)
    .option('--provider <provider>', 'meta or evolution', 'meta')
    .option('--name <name>', 'customer profile name', 'Cliente Teste')
    .option('--instance <instance>', 'Evolution instance name', process.env.EVOLUTION_INSTANCE ?? 'zapflow')
    .option('--secret <secret>', 'Meta app secret or Evolution webhook secret (default: WHATSAPP_APP_SECRET / EVOLUTION_WEBHOOK_SECRET)')
    .action(async (raw: { from: string; text: string; url: string; provider: string; name: string; instance: string; secret?: string }) => {
      if (raw.provider !== 'meta' && raw.provider !== 'evolution') {
        process.stderr.write(`zapflow simulate: --provider must be meta or evolution, got "${raw.provider}"\n`);
        process.exit(1);
      }
      const secret = raw.secret ?? (raw.provider === 'meta' ? process.env.WHATSAPP_APP_SECRET : process.env.EVOLUTION_WEBHOOK_SECRET);
      if (!secret) {
        process.stderr.write(`zapflow simulate: no secret: pass --secret or set ${raw.provider === 'meta' ? 'WHATSAPP_APP_SECRET' : 'EVOLUTION_WEBHOOK_SECRET'}\n`);
        process.exit(1);
      }
      try {
        const result = await simulate({ url: raw.url, provider: raw.provider, from: raw.from, text: raw.text, name: raw.name, secret, instance: raw.instance });
        process.stdout.write(`${result.status} ${result.messageId}${result.status >= 400 ? ` ${result.body}` : ''}\n`);
        process.exitCode = result.status >= 200 && result.status < 300 ? 0 : 1;
      } catch (error) {
        process.stderr.write(`zapflow simulate: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}
