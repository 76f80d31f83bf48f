/**
 * Options of `createWebhookRouter`, validated once at construction (an empty secret is a configuration
 * mistake that would otherwise surface as every webhook answered 401).
 */
import { z } from 'zod';
import { createBodyBudget, type BodyBudget } from './body-budget.js';
import { WebhookConfigError } from './errors.js';
import type { AcceptedBatch } from './types.js';

/** Structured logger (pino fits). Receivers never log secrets, phone numbers or message text. */
export interface WebhookLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** What to acknowledge and drop instead of turning into inbound messages. */
export interface IgnoreOptions {
  /**
   * Messages sent from the business number itself: Evolution `key.fromMe` and `send.message`, Meta
   * `smb_message_echoes` (WhatsApp Business app, coexistence). When false they become inbound messages with
   * `fromMe: true`; the service drops the ones it sent itself (by provider message id) and takes the others
   * as a person answering.
   * @default true
   */
  fromMe?: boolean;
  /** Group chats (Evolution `@g.us`, Meta `group_id`). When false, the conversation is per group. @default true */
  groups?: boolean;
  /** Emoji reactions. When false they become inbound messages whose text is the emoji. @default true */
  reactions?: boolean;
}

export interface WebhookRouterOptions {
  /** Meta WhatsApp Cloud API receiver (`/webhooks/whatsapp`, alias `/webhooks/meta`). Omit to not mount it. */
  meta?: {
    /** App secret: the HMAC key of `X-Hub-Signature-256`. */
    appSecret: string;
    /** The `hub.verify_token` configured in the Meta app's webhook settings. */
    verifyToken: string;
    /** Largest body accepted, in bytes (413 above). Meta documents payloads up to 3 MB. @default 3 MiB */
    bodyLimit?: number;
  };
  /** Evolution API receiver (`/webhooks/evolution[/:instance][/:event]`). Omit to not mount it. */
  evolution?: {
    /** Shared secret, sent by Evolution as a static `apikey` header (or see auth.ts for the alternatives). */
    secret: string;
    /** Largest body accepted, in bytes (413 above). @default 1 MiB */
    bodyLimit?: number;
  };
  /** Chatwoot agent-bot receiver (`/webhooks/chatwoot/:token`). Omit to not mount it. */
  chatwoot?: {
    /** The secret path segment of the agent bot's Outgoing URL (CHATWOOT_WEBHOOK_TOKEN). */
    token: string;
    /** The agent bot's signing secret (Chatwoot ≥ 4.13): when set, `X-Chatwoot-Signature` is required. */
    signingSecret?: string;
    /** Largest body accepted, in bytes (413 above). @default 1 MiB */
    bodyLimit?: number;
  };
  /**
   * Stores the request's batch (the service's inbox, one transaction). Called once per authenticated,
   * well-formed request BEFORE the 2xx; if it rejects, the provider gets 503 and delivers again.
   */
  accept: (batch: AcceptedBatch) => Promise<void>;
  ignore?: IgnoreOptions;
  /**
   * Bytes of bodies buffered at once before they can be authenticated (Meta's signature; Evolution's
   * secret when it is in the body, not a header); a request that would pass it gets 503 (./body-budget.ts).
   * @default 16 MiB
   */
  unverifiedBodyBytes?: number;
  logger?: WebhookLogger;
  /** Clock (Unix ms), for `receivedAt`, missing timestamps and JWT expiry. @default Date.now */
  now?: () => number;
}

export const DEFAULT_META_BODY_LIMIT = 3 * 1024 * 1024;
export const DEFAULT_EVOLUTION_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_CHATWOOT_BODY_LIMIT = 1024 * 1024;
export const DEFAULT_UNVERIFIED_BODY_BYTES = 16 * 1024 * 1024;

/** Options with defaults applied. */
export interface ResolvedWebhookOptions {
  meta?: { appSecret: string; verifyToken: string; bodyLimit: number };
  evolution?: { secret: string; bodyLimit: number };
  chatwoot?: { token: string; signingSecret?: string; bodyLimit: number };
  accept: (batch: AcceptedBatch) => Promise<void>;
  ignore: Required<IgnoreOptions>;
  /** One ceiling for both providers' unverified bodies (./body-budget.ts). */
  unverifiedBodies: BodyBudget;
  logger: WebhookLogger;
  now: () => number;
}

const secret = (what: string) => z.string({ error: `${what} must be a string` }).trim().min(1, `${what} is empty`);
const bodyLimit = (what: string) => z.number().int().positive(`${what} must be a positive number of bytes`).optional();

const OptionsSchema = z.object({
  meta: z
    .object({ appSecret: secret('meta.appSecret'), verifyToken: secret('meta.verifyToken'), bodyLimit: bodyLimit('meta.bodyLimit') })
    .optional(),
  evolution: z.object({ secret: secret('evolution.secret'), bodyLimit: bodyLimit('evolution.bodyLimit') }).optional(),
  chatwoot: z
    .object({ token: secret('chatwoot.token'), signingSecret: secret('chatwoot.signingSecret').optional(), bodyLimit: bodyLimit('chatwoot.bodyLimit') })
    .optional(),
  accept: z.custom<(batch: AcceptedBatch) => Promise<void>>((value) => typeof value === 'function', 'accept must be a function'),
  ignore: z.object({ fromMe: z.boolean().optional(), groups: z.boolean().optional(), reactions: z.boolean().optional() }).optional(),
  unverifiedBodyBytes: z.number().int().positive('unverifiedBodyBytes must be a positive number of bytes').optional(),
  now: z.custom<() => number>((value) => typeof value === 'function', 'now must be a function').optional(),
});

const silentLogger: WebhookLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function resolveWebhookOptions(options: WebhookRouterOptions): ResolvedWebhookOptions {
  const parsed = OptionsSchema.safeParse(options);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  if (parsed.success && !parsed.data.meta && !parsed.data.evolution && !parsed.data.chatwoot) problems.push('configure at least one provider (meta, evolution or chatwoot)');
  if (!parsed.success || problems.length > 0) throw new WebhookConfigError(problems);
  const { meta, evolution, chatwoot } = parsed.data;
  return {
    ...(meta && { meta: { appSecret: meta.appSecret, verifyToken: meta.verifyToken, bodyLimit: meta.bodyLimit ?? DEFAULT_META_BODY_LIMIT } }),
    ...(evolution && { evolution: { secret: evolution.secret, bodyLimit: evolution.bodyLimit ?? DEFAULT_EVOLUTION_BODY_LIMIT } }),
    ...(chatwoot && {
      chatwoot: {
        token: chatwoot.token,
        ...(chatwoot.signingSecret !== undefined && { signingSecret: chatwoot.signingSecret }),
        bodyLimit: chatwoot.bodyLimit ?? DEFAULT_CHATWOOT_BODY_LIMIT,
      },
    }),
    accept: options.accept,
    ignore: {
      fromMe: options.ignore?.fromMe ?? true,
      groups: options.ignore?.groups ?? true,
      reactions: options.ignore?.reactions ?? true,
    },
    unverifiedBodies: createBodyBudget(options.unverifiedBodyBytes ?? DEFAULT_UNVERIFIED_BODY_BYTES, options.logger ?? silentLogger),
    logger: options.logger ?? silentLogger,
    now: options.now ?? Date.now,
  };
}
