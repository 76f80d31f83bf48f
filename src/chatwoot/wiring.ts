/**
 * Chatwoot mode's place in the processing side: when CHATWOOT_* is configured, the outbox delivers the rows
 * of `chatwoot:` conversations through Chatwoot's API (./deliverers.ts); otherwise nothing changes.
 */
import type { Config } from '../config.js';
import type { OutboxDeliverer } from '../service/outbox-dispatcher.js';
import type { Logger } from '../logging.js';
import { defaultTaxonomy } from '../taxonomy/index.js';
import { ChatwootApi } from './api.js';
import { ChatwootDelivery, routeChatwoot, type ChatwootDeliveryDeps } from './deliverers.js';

export function withChatwoot(
  config: Pick<Config, 'chatwoot'>,
  deliverers: Record<string, OutboxDeliverer>,
  deps: Omit<ChatwootDeliveryDeps, 'api' | 'taxonomy' | 'logger'> & { logger: Logger },
): Record<string, OutboxDeliverer> {
  if (!config.chatwoot) return deliverers;
  const api = new ChatwootApi({ baseUrl: config.chatwoot.baseUrl, botToken: config.chatwoot.botToken, timeoutMs: config.chatwoot.timeoutMs });
  return routeChatwoot(deliverers, new ChatwootDelivery({ ...deps, api, taxonomy: defaultTaxonomy() }));
}
