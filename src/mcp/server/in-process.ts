/**
 * The WhatsApp MCP server inside the zapflow process (the demo and tests): no child process and no HTTP,
 * yet the client still speaks real MCP to it over an in-memory transport, so the code path is the same.
 */
import type { Logger } from 'pino';
import type { McpServerTarget } from '../client/targets.js';
import { DryRunSender } from '../senders/dry-run.js';
import type { WhatsAppSender } from '../senders/types.js';
import { MemorySentMessageLog } from './message-log.js';
import type { SentMessageLog } from './message-log.js';
import { TextMessageService } from './text-message-service.js';
import { createWhatsAppMcpServer } from './whatsapp-server.js';

export interface InProcessWhatsAppOptions {
  /** @default dry-run */
  sender?: WhatsAppSender;
  /** @default in memory */
  log?: SentMessageLog;
  logger?: Logger;
}

export interface InProcessWhatsApp {
  /** Give this to `new WhatsAppMcpClient({ server })`. */
  target: McpServerTarget;
  service: TextMessageService;
  /** What was sent (with the text, for dry-run): the demo shows it. */
  log: SentMessageLog;
}

export function createInProcessWhatsApp(options: InProcessWhatsAppOptions = {}): InProcessWhatsApp {
  const log = options.log ?? new MemorySentMessageLog();
  const service = new TextMessageService({ sender: options.sender ?? new DryRunSender(options.logger), log, ...(options.logger ? { logger: options.logger } : {}) });
  const serverOptions = options.logger ? { logger: options.logger } : {};
  return { target: { kind: 'in-process', createServer: () => createWhatsAppMcpServer(service, serverOptions) }, service, log };
}
