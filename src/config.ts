/**
 * Every setting of the service comes from the environment and is validated here, once, at start.
 * A bad or missing value stops the start with ONE message that lists every problem (not the first only),
 * so an operator fixes a deployment in one round. `.env.example` documents each variable.
 *
 * Choices made from what is present (no mode flags to get wrong):
 * - storage: Postgres when DATABASE_URL is set, else a SQLite file under ZAPFLOW_DATA_DIR;
 * - model: Claude when ANTHROPIC_API_KEY is set, else the embedded offline classifier;
 * - WhatsApp sender: Meta when META_ACCESS_TOKEN + META_PHONE_NUMBER_ID are set, else Evolution when
 *   EVOLUTION_URL + EVOLUTION_API_KEY + EVOLUTION_INSTANCE are set, else dry-run (records, sends nothing):
 *   warned at start, shown in /readyz and /metrics, and refused by `serve` under NODE_ENV=production unless
 *   WHATSAPP_DRY_RUN=true says it is intended.
 */
import { join } from 'node:path';
import { z } from 'zod';

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`zapflow cannot start: the configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}\nSee .env.example for every variable.`);
    this.name = 'ConfigError';
  }
}

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
/** The SLA limits (minutes per urgency) when SLA_*_MINUTES are not set: the wait told to customers and the agents' deadline. */
export const DEFAULT_SLA_MINUTES: Readonly<Record<'critical' | 'high' | 'medium' | 'low', number>> = { critical: 5, high: 15, medium: 60, low: 240 };

const int = (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(emptyToUndefined, z.coerce.number().int().min(min).max(max).default(fallback));
const bool = (fallback: boolean) =>
  z.preprocess((value) => {
    const v = emptyToUndefined(value);
    if (v === undefined) return fallback;
    if (typeof v === 'string' && /^(1|true|yes|on)$/i.test(v)) return true;
    if (typeof v === 'string' && /^(0|false|no|off)$/i.test(v)) return false;
    return v;
  }, z.boolean());
const secret = (min: number) => z.preprocess(emptyToUndefined, z.string().min(min, `must be at least ${min} characters`).optional());

/** Digits of an E.164 number (with or without +) or a WhatsApp group JID. */
const alertTarget = z.string().regex(/^(\+?\d{8,15}|[\w.-]+@g\.us)$/, 'must be a phone number in E.164 (e.g. 5511999990000) or a group id ending in @g.us');

const envSchema = z.object({
  NODE_ENV: optionalString,
  PORT: int(3000, 0, 65535),
  HOST: z.preprocess(emptyToUndefined, z.string().default('0.0.0.0')),
  LOG_LEVEL: z.preprocess(emptyToUndefined, z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),

  DATABASE_URL: z.preprocess(emptyToUndefined, z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional()),
  ZAPFLOW_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default('./data')),
  ZAPFLOW_MODEL_DIR: optionalString,
  ZAPFLOW_TABLE_PREFIX: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z][a-z0-9_]{0,30}$/, 'lowercase letters, digits and _ only').default('zapflow_')),
  SQLITE_SYNCHRONOUS: z.preprocess(emptyToUndefined, z.enum(['normal', 'full']).default('normal')),
  SQLITE_COMMIT_WINDOW_MS: int(20, 0, 1000),

  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  CLAUDE_CLASSIFIER_MODEL: z.preprocess(emptyToUndefined, z.string().default('claude-haiku-4-5')),
  CLAUDE_ESCALATION_MODEL: z.preprocess(emptyToUndefined, z.string().default('claude-sonnet-4-5')),
  ANTHROPIC_TIMEOUT_MS: int(20_000, 1000, 600_000),

  WHATSAPP_APP_SECRET: secret(8),
  WHATSAPP_VERIFY_TOKEN: secret(8),
  META_ACCESS_TOKEN: optionalString,
  META_PHONE_NUMBER_ID: z.preprocess(emptyToUndefined, z.string().regex(/^\d+$/, 'must be the numeric phone-number id from Meta').optional()),
  META_GRAPH_URL: z.preprocess(emptyToUndefined, z.url().default('https://graph.facebook.com')),
  META_API_VERSION: z.preprocess(emptyToUndefined, z.string().regex(/^v\d+\.\d+$/, 'like v21.0').default('v21.0')),

  EVOLUTION_URL: z.preprocess(emptyToUndefined, z.url().optional()),
  EVOLUTION_API_KEY: optionalString,
  EVOLUTION_INSTANCE: optionalString,
  EVOLUTION_WEBHOOK_SECRET: secret(8),

  /** Chatwoot agent-bot mode: Chatwoot's base URL, the agent bot's access token, the secret in its Outgoing URL. */
  CHATWOOT_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL, e.g. https://chatwoot.example.com' }).optional()),
  CHATWOOT_BOT_TOKEN: z.preprocess(emptyToUndefined, z.string().regex(/^\S{8,256}$/, 'must be the agent bot\'s access token (no spaces)').optional()),
  CHATWOOT_WEBHOOK_TOKEN: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'must be 16 to 128 letters, digits, _ or - (it is a path segment of the Outgoing URL)').optional()),
  /** The agent bot's signing secret (Chatwoot ≥ 4.13): X-Chatwoot-Signature is then required. */
  CHATWOOT_WEBHOOK_SECRET: secret(8),
  CHATWOOT_TIMEOUT_MS: int(8000, 100, 120_000),

  AGENT_ALERT_NUMBERS: z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : []),
    z.array(alertTarget),
  ),
  ADMIN_TOKEN: secret(16),
  /** Where people reach this service (links in alerts; https here makes the console cookie Secure). */
  CONSOLE_SESSION_HOURS: int(12, 1, 24 * 30),

  /** How the service reaches the WhatsApp MCP server: in-process (default), a stdio command, or an http(s) URL. */
  MCP_SERVER: z.preprocess(emptyToUndefined, z.string().default('in-process')),
  MCP_HTTP_TOKEN: secret(16),
  MCP_CALL_TIMEOUT_MS: int(10_000, 100, 120_000),
  /** Browser origins allowed to call our /mcp (comma-separated `scheme://host[:port]`); loopback origins always are. */
  MCP_ALLOWED_ORIGINS: z.preprocess(
    (value) => (typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : []),
    z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin is scheme://host[:port], without a path')),
  ),
  /** Without Meta or Evolution credentials the service records replies and sends nothing: say so on purpose. */
  WHATSAPP_DRY_RUN: bool(false),
  OUTBOX_RETRY_HOURS: int(24, 1, 24 * 14),

  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 1000, 120_000),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 1000, 600_000),
  HTTP_DRAIN_MS: int(5000, 0, 20_000),
  WEBHOOK_PENDING_BODIES_MB: int(16, 1, 1024),
  METRICS_TOKEN: secret(16),

  ZAPFLOW_PROCESSING: z.preprocess(emptyToUndefined, z.enum(['thread', 'inline']).default('thread')),
  ZAPFLOW_PROCESSING_NICE: int(10, 0, 19),
  COALESCE_WINDOW_MS: int(2000, 0, 60_000),
  MAX_CONCURRENT_CONVERSATIONS: int(16, 1, 1000),
  HUMAN_IDLE_RELEASE_MINUTES: int(120, 1, 7 * 24 * 60),
  HUMAN_WAIT_EXPIRE_HOURS: int(24, 1, 24 * 30),
  /** `/readyz` fails when a message has waited this long and no message was finished for as long. */
  BACKLOG_STALL_SECONDS: int(120, 5, 24 * 3600),
  IGNORE_GROUPS: bool(true),
  IGNORE_REACTIONS: bool(true),

  SLA_CRITICAL_MINUTES: int(DEFAULT_SLA_MINUTES.critical, 1),
  SLA_HIGH_MINUTES: int(DEFAULT_SLA_MINUTES.high, 1),
  SLA_MEDIUM_MINUTES: int(DEFAULT_SLA_MINUTES.medium, 1),
  SLA_LOW_MINUTES: int(DEFAULT_SLA_MINUTES.low, 1),
  SLA_RAISE_URGENCY_AFTER: int(2, 1, 100),
  RETENTION_DAYS: int(90, 1, 3650),
  /**
   * Per-job schedule overrides, `name=cron expression` separated by `;` (e.g. `sla-realert=0,30 * * * * *`: every 30 s).
   * Jobs: sla-realert, idle-release, waiting-expiry, retention, case-idle-close. An expression node-cron refuses
   * stops the start, naming the job.
   */
  JOB_SCHEDULES: z.preprocess(
    (value) => (typeof value === 'string' ? value.split(';').map((s) => s.trim()).filter(Boolean) : []),
    z.array(z.string().regex(/^(sla-realert|idle-release|waiting-expiry|retention|case-idle-close)\s*=\s*\S.*$/, 'each entry is <job>=<cron expression>, job one of sla-realert, idle-release, waiting-expiry, retention, case-idle-close')),
  ),

  /** Where people reach this service (the console links in agents' alerts), e.g. https://atendimento.example.com. */
  PUBLIC_URL: z.preprocess(
    emptyToUndefined,
    z.url().refine((value) => /^https?:\/\//.test(value), 'must be an http(s) URL').refine((value) => !/[?#]/.test(value), 'must not have a query or fragment').optional(),
  ),
  CASE_IDLE_CLOSE_HOURS: int(24, 1, 24 * 90),
  AGENT_JOINED_TEXT: z.preprocess(emptyToUndefined, z.string().max(1000).refine((t) => t.includes('{agent}'), 'must contain {agent} (the agent\'s display name)')
    .default('Olá! Aqui é {agent}, da nossa equipe. Já estou vendo seu atendimento e vou te ajudar por aqui.')),
  RELEASED_TO_BOT_TEXT: z.preprocess(emptyToUndefined, z.string().min(1).max(1000)
    .default('Seu atendimento com a nossa equipe foi encerrado por aqui. Se precisar de mais alguma coisa, é só escrever que o assistente automático te ajuda.')),
  CASE_RESOLVED_TEXT: z.preprocess(emptyToUndefined, z.string().min(1).max(1000)
    .default('Seu atendimento (protocolo {protocol}) foi concluído. Obrigado pelo contato! Se precisar de algo mais, é só escrever.')),
  RECOVERY_ON_BOOT: bool(true),

  /** Scale-out (Postgres): which part of zapflow this process runs; `zapflow serve --role` / `zapflow worker` set it. */
  ZAPFLOW_ROLE: z.preprocess(emptyToUndefined, z.enum(['all', 'web', 'worker']).default('all')),
  ZAPFLOW_QUEUE_SCHEMA: z.preprocess(emptyToUndefined, z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'lowercase letters, digits and _ only').optional()),
  QUEUE_HEARTBEAT_SECONDS: int(10, 10, 600),
  QUEUE_SUPERVISE_SECONDS: int(5, 1, 600),
  RUN_LEASE_SECONDS: int(30, 2, 3600),
});

type Env = z.infer<typeof envSchema>;

export type StorageConfig =
  | { kind: 'postgres'; databaseUrl: string; tablePrefix: string }
  | {
    kind: 'sqlite'; dbFile: string; tablePrefix: string; synchronous: 'normal' | 'full';
    /** How long the processing thread's transaction stays open for the turns under way to share (SQLITE_COMMIT_WINDOW_MS). */
    commitWindowMs: number;
  };

export type ModelConfig =
  | { kind: 'claude'; apiKey: string; baseURL?: string; classifierModel: string; escalationModel: string; timeoutMs: number }
  | { kind: 'embedded' };

export type SenderConfig =
  | { kind: 'meta'; accessToken: string; phoneNumberId: string; graphUrl: string; apiVersion: string }
  | { kind: 'evolution'; baseUrl: string; apiKey: string; instance: string }
  | { kind: 'dry-run' };

/** Chatwoot agent-bot mode (all of CHATWOOT_URL, CHATWOOT_BOT_TOKEN, CHATWOOT_WEBHOOK_TOKEN set). */
export interface ChatwootConfig {
  /** Base URL without a trailing slash, e.g. `https://chatwoot.example.com`. */
  baseUrl: string;
  /** The agent bot's access token (`api_access_token` header). */
  botToken: string;
  /** The secret path segment of `/webhooks/chatwoot/:token`. */
  webhookToken: string;
  /** The agent bot's signing secret (Chatwoot ≥ 4.13), when set. */
  signingSecret?: string;
  /** Per-request timeout of the Chatwoot API. */
  timeoutMs: number;
}

/** `all`: everything in one process (SQLite or Postgres). `web` and `worker`: scale-out on Postgres. */
export type Role = 'all' | 'web' | 'worker';

export interface Config {
  /**
   * `all` (zapflow serve): webhooks, admin, console, turns, outbox, scheduled jobs. `web` (serve --role web):
   * webhooks, admin API, console, /mcp — turns go to the job queue. `worker` (zapflow worker): turns, outbox
   * delivery, scheduled jobs, and /healthz, /readyz, /metrics.
   */
  role: Role;
  /** The pg-boss turn queue (roles web and worker). */
  queue: { schema: string; heartbeatSeconds: number; superviseSeconds: number };
  /** A run's lease without a heartbeat before another process may take it over. */
  runLeaseMs: number;
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  /** ZAPFLOW_MODEL_DIR: embedded model versions and the promoted one (unset: data/models in the package). */
  modelDir?: string;
  storage: StorageConfig;
  model: ModelConfig;
  sender: SenderConfig;
  webhooks: { metaAppSecret?: string; metaVerifyToken?: string; evolutionSecret?: string; ignoreGroups: boolean; ignoreReactions: boolean };
  agentAlertNumbers: string[];
  /** Chatwoot agent-bot mode: set when Chatwoot owns the inbox and the agents (README "Running behind Chatwoot"). */
  chatwoot?: ChatwootConfig;
  adminToken?: string;
  /** PUBLIC_URL without a trailing slash: console links in alerts; https makes the console cookie Secure. */
  publicUrl?: string;
  /** How long a console sign-in lasts. */
  consoleSessionHours: number;
  mcp: { server: string; httpToken?: string; callTimeoutMs: number; allowedOrigins: string[] };
  /** WHATSAPP_DRY_RUN=true: running without sending is intended (required for dry-run under NODE_ENV=production). */
  dryRunRequested: boolean;
  /**
   * How long an outbox row (agent alert, customer reply) keeps being retried while delivery fails for a
   * retryable reason (MCP or provider down), counted from when it was written — by age, not attempts.
   */
  outboxRetryHours: number;
  http: {
    headersTimeoutMs: number;
    requestTimeoutMs: number;
    /** On stop, how long requests in flight get before their sockets are closed. */
    drainMs: number;
    /** Bytes of webhook bodies buffered at once before their signature is checked (503 beyond). */
    pendingBodiesBytes: number;
    /** Bearer token `/metrics` requires, when set. */
    metricsToken?: string;
  };
  dispatch: { coalesceWindowMs: number; maxConcurrentConversations: number; humanIdleReleaseMinutes: number; humanWaitExpireHours: number; backlogStallMs: number };
  /**
   * Where conversation turns run: `thread` (a worker thread, so webhook acks never wait behind them) or
   * `inline` (the request thread: one thread to debug, or a one-core container).
   */
  processing: 'thread' | 'inline';
  /** Linux nice of the processing thread (0 = same priority as the acks). */
  processingNice: number;
  sla: { minutes: Record<'critical' | 'high' | 'medium' | 'low', number>; raiseUrgencyAfter: number };
  retentionDays: number;
  /** JOB_SCHEDULES: cron expression per job name, overriding the defaults. */
  jobSchedules: Record<string, string>;
  recoveryOnBoot: boolean;
  cases: {
    /** A case the bot answered with a self-service text closes after this many hours of customer silence. */
    idleCloseHours: number;
    /** pt-BR texts told to the customer: `{agent}` = the agent's display name, `{protocol}` = the case's protocol. */
    texts: { agentJoined: string; releasedToBot: string; resolved: string };
  };
}

export interface LoadConfigOptions {
  /** `serve` needs webhook secrets and an admin token; `demo`, `classify` and tests do not. */
  purpose?: 'serve' | 'tool';
  /** Overrides ZAPFLOW_ROLE (the command line's `--role` / `zapflow worker`). */
  role?: Role;
}

/** Reads and validates the environment. Throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, options: LoadConfigOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  }
  // Cross-field rules look at what is present in the raw environment, so they are reported even when a
  // single variable is malformed: the operator gets the whole list at once.
  const role = options.role ?? (parsed.success ? parsed.data.ZAPFLOW_ROLE : 'all');
  problems.push(...crossFieldProblems(env, options.purpose ?? 'tool', role));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return toConfig({ ...parsed.data, ZAPFLOW_ROLE: role });
}

/** Rules that involve several variables: half-configured providers are mistakes, not "off". */
function crossFieldProblems(env: NodeJS.ProcessEnv, purpose: 'serve' | 'tool', role: Role): string[] {
  const problems: string[] = [];
  const has = (name: string) => typeof env[name] === 'string' && env[name].trim() !== '';
  const allOrNone = (names: string[]) => names.every(has) || !names.some(has);
  const mcpServer = has('MCP_SERVER') ? String(env.MCP_SERVER) : 'in-process';

  if (!allOrNone(['META_ACCESS_TOKEN', 'META_PHONE_NUMBER_ID'])) {
    problems.push('META_ACCESS_TOKEN and META_PHONE_NUMBER_ID: set both to send through Meta, or neither');
  }
  if (!allOrNone(['EVOLUTION_URL', 'EVOLUTION_API_KEY', 'EVOLUTION_INSTANCE'])) {
    problems.push('EVOLUTION_URL, EVOLUTION_API_KEY and EVOLUTION_INSTANCE: set all three to send through Evolution, or none');
  }
  const chatwootNames = ['CHATWOOT_URL', 'CHATWOOT_BOT_TOKEN', 'CHATWOOT_WEBHOOK_TOKEN'];
  const chatwoot = chatwootNames.every(has);
  if (!allOrNone(chatwootNames)) {
    problems.push(`CHATWOOT_URL, CHATWOOT_BOT_TOKEN and CHATWOOT_WEBHOOK_TOKEN: set all three to run as a Chatwoot agent bot, or none (missing: ${chatwootNames.filter((name) => !has(name)).join(', ')})`);
  }
  if (has('CHATWOOT_WEBHOOK_SECRET') && !chatwoot) {
    problems.push('CHATWOOT_WEBHOOK_SECRET: only meaningful with CHATWOOT_URL, CHATWOOT_BOT_TOKEN and CHATWOOT_WEBHOOK_TOKEN');
  }
  if (!allOrNone(['WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'])) {
    problems.push('WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN: the Meta webhook needs both');
  }
  if (!/^(in-process|https?:\/\/.+|stdio:.+)$/.test(mcpServer)) {
    problems.push('MCP_SERVER: must be "in-process", an http(s):// URL, or "stdio:<command>"');
  }
  if (/^https?:/.test(mcpServer) && !has('MCP_HTTP_TOKEN')) {
    problems.push('MCP_HTTP_TOKEN: required when MCP_SERVER is an http(s) URL');
  }
  if (role !== 'all' && !has('DATABASE_URL')) {
    problems.push(role === 'worker'
      ? 'DATABASE_URL: a separate worker (zapflow worker) needs Postgres; SQLite runs as one process — use `zapflow serve` alone'
      : 'DATABASE_URL: `serve --role web` needs Postgres and its workers; SQLite runs as one process — use `zapflow serve` without --role');
  }
  if (purpose === 'serve') {
    const senderConfigured = (has('META_ACCESS_TOKEN') && has('META_PHONE_NUMBER_ID')) || (has('EVOLUTION_URL') && has('EVOLUTION_API_KEY') && has('EVOLUTION_INSTANCE'));
    const dryRunRequested = has('WHATSAPP_DRY_RUN') && /^(1|true|yes|on)$/i.test(String(env.WHATSAPP_DRY_RUN).trim());
    // Behind Chatwoot, replies go through Chatwoot's API: no WhatsApp sender is needed.
    if (env.NODE_ENV === 'production' && !senderConfigured && !dryRunRequested && !chatwoot) {
      problems.push(
        'META_ACCESS_TOKEN + META_PHONE_NUMBER_ID or EVOLUTION_URL + EVOLUTION_API_KEY + EVOLUTION_INSTANCE: with NODE_ENV=production ' +
          'and no WhatsApp credentials nothing would ever be sent (dry-run). Set a provider, or WHATSAPP_DRY_RUN=true if that is what you want',
      );
    }
  }
  if (purpose === 'serve' && role !== 'worker') {
    if (!has('WHATSAPP_APP_SECRET') && !has('EVOLUTION_WEBHOOK_SECRET') && !chatwoot) {
      problems.push('WHATSAPP_APP_SECRET, EVOLUTION_WEBHOOK_SECRET or CHATWOOT_WEBHOOK_TOKEN (with CHATWOOT_URL and CHATWOOT_BOT_TOKEN): set at least one, or no customer message can be received');
    }
    if (!has('ADMIN_TOKEN')) problems.push('ADMIN_TOKEN: required (at least 16 characters) to protect the admin API');
  }
  if (purpose === 'serve' && role !== 'web') {
    // Behind Chatwoot alone, handoffs go to Chatwoot's agents; WhatsApp alert numbers matter only beside Meta/Evolution.
    const whatsAppIntake = has('WHATSAPP_APP_SECRET') || has('EVOLUTION_WEBHOOK_SECRET');
    if (!has('AGENT_ALERT_NUMBERS') && (whatsAppIntake || !chatwoot)) problems.push('AGENT_ALERT_NUMBERS: list at least one agent number or group to alert on handoffs');
  }
  return problems;
}

function toConfig(e: Env): Config {
  const storage: StorageConfig = e.DATABASE_URL
    ? { kind: 'postgres', databaseUrl: e.DATABASE_URL, tablePrefix: e.ZAPFLOW_TABLE_PREFIX }
    : {
      kind: 'sqlite', dbFile: join(e.ZAPFLOW_DATA_DIR, 'zapflow.db'), tablePrefix: e.ZAPFLOW_TABLE_PREFIX, synchronous: e.SQLITE_SYNCHRONOUS,
      commitWindowMs: e.SQLITE_COMMIT_WINDOW_MS,
    };
  const model: ModelConfig = e.ANTHROPIC_API_KEY
    ? {
        kind: 'claude',
        apiKey: e.ANTHROPIC_API_KEY,
        ...(e.ANTHROPIC_BASE_URL ? { baseURL: e.ANTHROPIC_BASE_URL } : {}),
        classifierModel: e.CLAUDE_CLASSIFIER_MODEL,
        escalationModel: e.CLAUDE_ESCALATION_MODEL,
        timeoutMs: e.ANTHROPIC_TIMEOUT_MS,
      }
    : { kind: 'embedded' };
  let sender: SenderConfig = { kind: 'dry-run' };
  if (e.META_ACCESS_TOKEN && e.META_PHONE_NUMBER_ID) {
    sender = { kind: 'meta', accessToken: e.META_ACCESS_TOKEN, phoneNumberId: e.META_PHONE_NUMBER_ID, graphUrl: e.META_GRAPH_URL, apiVersion: e.META_API_VERSION };
  } else if (e.EVOLUTION_URL && e.EVOLUTION_API_KEY && e.EVOLUTION_INSTANCE) {
    sender = { kind: 'evolution', baseUrl: e.EVOLUTION_URL, apiKey: e.EVOLUTION_API_KEY, instance: e.EVOLUTION_INSTANCE };
  }
  return {
    role: e.ZAPFLOW_ROLE,
    queue: {
      schema: e.ZAPFLOW_QUEUE_SCHEMA ?? `${e.ZAPFLOW_TABLE_PREFIX}queue`,
      heartbeatSeconds: e.QUEUE_HEARTBEAT_SECONDS,
      superviseSeconds: e.QUEUE_SUPERVISE_SECONDS,
    },
    runLeaseMs: e.RUN_LEASE_SECONDS * 1000,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    dataDir: e.ZAPFLOW_DATA_DIR,
    ...(e.ZAPFLOW_MODEL_DIR ? { modelDir: e.ZAPFLOW_MODEL_DIR } : {}),
    storage,
    model,
    sender,
    webhooks: {
      ...(e.WHATSAPP_APP_SECRET ? { metaAppSecret: e.WHATSAPP_APP_SECRET } : {}),
      ...(e.WHATSAPP_VERIFY_TOKEN ? { metaVerifyToken: e.WHATSAPP_VERIFY_TOKEN } : {}),
      ...(e.EVOLUTION_WEBHOOK_SECRET ? { evolutionSecret: e.EVOLUTION_WEBHOOK_SECRET } : {}),
      ignoreGroups: e.IGNORE_GROUPS,
      ignoreReactions: e.IGNORE_REACTIONS,
    },
    agentAlertNumbers: e.AGENT_ALERT_NUMBERS,
    ...(e.CHATWOOT_URL && e.CHATWOOT_BOT_TOKEN && e.CHATWOOT_WEBHOOK_TOKEN
      ? {
          chatwoot: {
            baseUrl: e.CHATWOOT_URL.replace(/\/+$/, ''),
            botToken: e.CHATWOOT_BOT_TOKEN,
            webhookToken: e.CHATWOOT_WEBHOOK_TOKEN,
            ...(e.CHATWOOT_WEBHOOK_SECRET ? { signingSecret: e.CHATWOOT_WEBHOOK_SECRET } : {}),
            timeoutMs: e.CHATWOOT_TIMEOUT_MS,
          },
        }
      : {}),
    ...(e.ADMIN_TOKEN ? { adminToken: e.ADMIN_TOKEN } : {}),
    consoleSessionHours: e.CONSOLE_SESSION_HOURS,
    mcp: { server: e.MCP_SERVER, ...(e.MCP_HTTP_TOKEN ? { httpToken: e.MCP_HTTP_TOKEN } : {}), callTimeoutMs: e.MCP_CALL_TIMEOUT_MS, allowedOrigins: e.MCP_ALLOWED_ORIGINS },
    dryRunRequested: e.WHATSAPP_DRY_RUN,
    outboxRetryHours: e.OUTBOX_RETRY_HOURS,
    http: {
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
      drainMs: e.HTTP_DRAIN_MS,
      pendingBodiesBytes: e.WEBHOOK_PENDING_BODIES_MB * 1024 * 1024,
      ...(e.METRICS_TOKEN ? { metricsToken: e.METRICS_TOKEN } : {}),
    },
    dispatch: {
      coalesceWindowMs: e.COALESCE_WINDOW_MS,
      maxConcurrentConversations: e.MAX_CONCURRENT_CONVERSATIONS,
      humanIdleReleaseMinutes: e.HUMAN_IDLE_RELEASE_MINUTES,
      humanWaitExpireHours: e.HUMAN_WAIT_EXPIRE_HOURS,
      backlogStallMs: e.BACKLOG_STALL_SECONDS * 1000,
    },
    processing: e.ZAPFLOW_PROCESSING,
    processingNice: e.ZAPFLOW_PROCESSING_NICE,
    sla: {
      minutes: { critical: e.SLA_CRITICAL_MINUTES, high: e.SLA_HIGH_MINUTES, medium: e.SLA_MEDIUM_MINUTES, low: e.SLA_LOW_MINUTES },
      raiseUrgencyAfter: e.SLA_RAISE_URGENCY_AFTER,
    },
    retentionDays: e.RETENTION_DAYS,
    jobSchedules: Object.fromEntries(e.JOB_SCHEDULES.map((entry) => [entry.slice(0, entry.indexOf('=')).trim(), entry.slice(entry.indexOf('=') + 1).trim()])),
    recoveryOnBoot: e.RECOVERY_ON_BOOT,
    ...(e.PUBLIC_URL ? { publicUrl: e.PUBLIC_URL.replace(/\/+$/, '') } : {}),
    cases: {
      idleCloseHours: e.CASE_IDLE_CLOSE_HOURS,
      texts: { agentJoined: e.AGENT_JOINED_TEXT, releasedToBot: e.RELEASED_TO_BOT_TEXT, resolved: e.CASE_RESOLVED_TEXT },
    },
  };
}
