/**
 * Structured JSON logs (pino). Customers' phone numbers, CPFs and message texts never reach the logs at
 * info level: known fields are censored by path, and every string is scrubbed for number shapes, because a
 * phone number also hides in error messages, JIDs and conversation keys.
 * At `debug`/`trace` an operator chasing a bug may opt in to message text with `LOG_MESSAGE_TEXT=1`.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskCpf, maskPhone, maskText, scrubPersonalData } from './privacy.js';

export type { Logger };
export { maskCpf, maskPhone, maskText };

/** Masks CPFs and phone-like digit runs anywhere in a string (kept under this name for the log hooks). */
export const scrubString = scrubPersonalData;

/** Field names whose values are message text or personal data: censored whatever their content. */
const TEXT_KEYS = new Set(['text', 'body', 'message', 'messageText', 'caption', 'content', 'payload']);
const SECRET_KEYS = /(token|secret|password|apikey|api_key|authorization|signature)/i;
/** Our own identifiers look like numbers but are not personal data; support staff search logs by them. */
const ID_KEYS = new Set(['protocolNumber', 'protocolNumbers', 'runId', 'parentRunId', 'outboxId', 'seq', 'version']);

function scrub(value: unknown, keepText: boolean, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return scrubString(value);
  if (Array.isArray(value)) return value.map((v) => scrub(v, keepText, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEYS.test(key)) out[key] = '[secret]';
      else if (ID_KEYS.has(key)) out[key] = v;
      else if (!keepText && TEXT_KEYS.has(key) && typeof v === 'string') out[key] = maskText(v);
      else out[key] = scrub(v, keepText, depth + 1);
    }
    return out;
  }
  return value;
}

export interface CreateLoggerOptions {
  level?: LoggerOptions['level'];
  /** Only honoured at debug/trace: keep message texts (phone numbers and CPFs are still masked). */
  logMessageText?: boolean;
  /** Where to write (tests pass a stream to read what was logged). */
  destination?: pino.DestinationStream;
  name?: string;
}

export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const keepText = Boolean(options.logMessageText) && (level === 'debug' || level === 'trace');
  const loggerOptions: LoggerOptions = {
    level,
    ...(options.name ? { name: options.name } : {}),
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrub(object, keepText) as Record<string, unknown>,
    },
    serializers: {
      err: (error: unknown) => {
        // A caller may log `{ err: undefined }` or a string: logging must never be what throws.
        if (!(error instanceof Error)) return error === undefined ? undefined : { message: scrubString(String(error)) };
        const serialized = pino.stdSerializers.err(error);
        return { ...serialized, message: scrubString(serialized.message), stack: serialized.stack ? scrubString(serialized.stack) : undefined };
      },
    },
    hooks: {
      // The message string itself ("sent to 5511…") is scrubbed too.
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubString(a) : a)) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
  };
  return options.destination ? pino(loggerOptions, options.destination) : pino(loggerOptions);
}

/** A logger that writes nothing (tests, library use without a logger). */
export const silentLogger: Logger = pino({ level: 'silent' });
