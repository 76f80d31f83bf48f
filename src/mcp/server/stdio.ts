/**
 * Runs the WhatsApp MCP server over stdio (`zapflow mcp-whatsapp`). stdout is the protocol channel, so logs go
 * to stderr. The server stops when its client closes stdin (the MCP shutdown sequence) or on SIGTERM/SIGINT,
 * after the sends under way have recorded their result — so the next server does not send them again.
 */
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createLogger } from '../../logging.js';
import { createSender, senderConfigFromEnv } from '../senders/config.js';
import { SqliteSentMessageLog } from './sqlite-message-log.js';
import { TextMessageService } from './text-message-service.js';
import { createWhatsAppMcpServer } from './whatsapp-server.js';

export interface WhatsAppMcpStdioOptions {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default zapflow's JSON logger (personal data scrubbed) on stderr at LOG_LEVEL (default info) */
  logger?: Logger;
  /** @default process.stdin */
  stdin?: Readable;
  /** @default process.stdout */
  stdout?: Writable;
}

export interface RunningStdioServer {
  /** Resolves once the server has shut down (stdin closed, a signal, or `close()`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** The sent-message log file of the stdio server. */
export function messageLogPath(env: NodeJS.ProcessEnv): string {
  return join(env.ZAPFLOW_DATA_DIR?.trim() || './data', 'mcp-whatsapp.sqlite');
}

export async function runWhatsAppMcpStdio(options: WhatsAppMcpStdioOptions = {}): Promise<RunningStdioServer> {
  const env = options.env ?? process.env;
  const logger = options.logger ??
    createLogger({ level: env.LOG_LEVEL?.trim() || 'info', name: 'mcp-whatsapp', destination: pino.destination({ fd: 2, sync: true }) });
  const stdin = options.stdin ?? process.stdin;
  const config = senderConfigFromEnv(env);
  const log = new SqliteSentMessageLog(messageLogPath(env));
  const service = new TextMessageService({ sender: createSender(config, logger), log, logger });
  const server = createWhatsAppMcpServer(service, { logger });
  const transport = new StdioServerTransport(stdin, options.stdout ?? process.stdout);

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const close = (reason: string): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'WhatsApp MCP server stopping');
      stdin.off('end', onEnd);
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      try {
        await service.settle();
        await server.close();
        await log.close();
      } catch (error) {
        logger.error({ err: error }, 'WhatsApp MCP server did not stop cleanly');
      } finally {
        resolveClosed();
      }
    })();
    return closing;
  };
  const onEnd = (): void => void close('stdin closed');
  const onSignal = (signal: NodeJS.Signals): void => void close(signal);
  stdin.once('end', onEnd);
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  await server.connect(transport);
  logger.info({ provider: config.provider }, 'WhatsApp MCP server ready on stdio');
  return { closed, close: () => close('close() called') };
}
