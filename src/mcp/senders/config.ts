/**
 * Which sender to use, from the environment: Meta when META_ACCESS_TOKEN + META_PHONE_NUMBER_ID are set,
 * Evolution when EVOLUTION_URL + EVOLUTION_API_KEY + EVOLUTION_INSTANCE are set, else dry-run. Half a
 * configuration is an error, never a silent dry-run: an operator who set a token expects real messages.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { WhatsAppConfigError } from '../errors.js';
import { DryRunSender } from './dry-run.js';
import { EvolutionSender } from './evolution.js';
import { MetaCloudSender } from './meta.js';
import type { WhatsAppSender } from './types.js';

export type WhatsAppSenderConfig =
  | { provider: 'meta'; accessToken: string; phoneNumberId: string; graphUrl?: string; apiVersion?: string; timeoutMs?: number }
  | { provider: 'evolution'; baseUrl: string; apiKey: string; instance: string; timeoutMs?: number }
  | { provider: 'dry-run' };

const httpUrl = z.url({ protocol: /^https?$/ });
const timeout = z.coerce.number().int().min(100).max(120_000);

/** Reads the sender configuration; throws WhatsAppConfigError listing every problem at once. */
export function senderConfigFromEnv(env: NodeJS.ProcessEnv): WhatsAppSenderConfig {
  const get = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const problems: string[] = [];
  const meta = { accessToken: get('META_ACCESS_TOKEN'), phoneNumberId: get('META_PHONE_NUMBER_ID') };
  const evolution = { baseUrl: get('EVOLUTION_URL'), apiKey: get('EVOLUTION_API_KEY'), instance: get('EVOLUTION_INSTANCE') };
  const metaNames = { accessToken: 'META_ACCESS_TOKEN', phoneNumberId: 'META_PHONE_NUMBER_ID' };
  const evolutionNames = { baseUrl: 'EVOLUTION_URL', apiKey: 'EVOLUTION_API_KEY', instance: 'EVOLUTION_INSTANCE' };
  const metaComplete = checkGroup(meta, metaNames, 'The Meta sender', problems);
  const evolutionComplete = checkGroup(evolution, evolutionNames, 'The Evolution sender', problems);

  let timeoutMs: number | undefined;
  const rawTimeout = get('WHATSAPP_SEND_TIMEOUT_MS');
  if (rawTimeout !== undefined) {
    const parsed = timeout.safeParse(rawTimeout);
    if (parsed.success) timeoutMs = parsed.data;
    else problems.push('WHATSAPP_SEND_TIMEOUT_MS must be a whole number of milliseconds between 100 and 120000.');
  }
  for (const name of ['META_GRAPH_URL', 'EVOLUTION_URL']) {
    const value = get(name);
    if (value !== undefined && !httpUrl.safeParse(value).success) problems.push(`${name} must be an http(s) URL (got "${value}").`);
  }

  let provider = get('WHATSAPP_PROVIDER');
  if (provider !== undefined && !['meta', 'evolution', 'dry-run'].includes(provider)) {
    problems.push(`WHATSAPP_PROVIDER must be meta, evolution or dry-run (got "${provider}").`);
  }
  if (provider === undefined) {
    if (metaComplete && evolutionComplete) {
      problems.push('Both Meta and Evolution credentials are set: choose one with WHATSAPP_PROVIDER=meta or WHATSAPP_PROVIDER=evolution.');
    }
    provider = metaComplete ? 'meta' : evolutionComplete ? 'evolution' : 'dry-run';
  } else if (provider === 'meta' && !metaComplete && meta.accessToken === undefined && meta.phoneNumberId === undefined) {
    problems.push('WHATSAPP_PROVIDER=meta needs META_ACCESS_TOKEN and META_PHONE_NUMBER_ID.');
  } else if (provider === 'evolution' && !evolutionComplete && Object.values(evolution).every((v) => v === undefined)) {
    problems.push('WHATSAPP_PROVIDER=evolution needs EVOLUTION_URL, EVOLUTION_API_KEY and EVOLUTION_INSTANCE.');
  }
  if (problems.length > 0) throw new WhatsAppConfigError(problems);

  const withTimeout = timeoutMs !== undefined ? { timeoutMs } : {};
  if (provider === 'meta') {
    const graphUrl = get('META_GRAPH_URL');
    const apiVersion = get('META_API_VERSION');
    return {
      provider, accessToken: meta.accessToken as string, phoneNumberId: meta.phoneNumberId as string,
      ...(graphUrl ? { graphUrl } : {}), ...(apiVersion ? { apiVersion } : {}), ...withTimeout,
    };
  }
  if (provider === 'evolution') {
    return { provider, baseUrl: evolution.baseUrl as string, apiKey: evolution.apiKey as string, instance: evolution.instance as string, ...withTimeout };
  }
  return { provider: 'dry-run' };
}

/** True when every value is set; records a problem naming the missing variables when only some are. */
function checkGroup(values: Record<string, string | undefined>, names: Record<string, string>, what: string, problems: string[]): boolean {
  const missing = Object.keys(values).filter((key) => values[key] === undefined).map((key) => names[key] ?? key);
  if (missing.length === 0) return true;
  if (missing.length < Object.keys(values).length) problems.push(`${what} is half configured: set ${missing.join(' and ')} too (or unset the others for dry-run).`);
  return false;
}

export function createSender(config: WhatsAppSenderConfig, logger?: Logger): WhatsAppSender {
  switch (config.provider) {
    case 'meta':
      return new MetaCloudSender(config);
    case 'evolution':
      return new EvolutionSender(config);
    case 'dry-run':
      return new DryRunSender(logger);
  }
}
