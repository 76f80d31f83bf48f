/**
 * The WhatsApp MCP server: two tools on an McpServer, with zod input and output schemas. Transport-agnostic —
 * stdio (`zapflow mcp-whatsapp`), Streamable HTTP (`mountWhatsAppMcp`) and in-process all build it here.
 *
 * Failures are tool results with `isError: true` (so any MCP client, Claude included, sees the reason) whose
 * text says whether retrying can help; `_meta["zapflow/error"]` carries `{ code, retryable }` for programs.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { WhatsAppMcpError } from '../errors.js';
import {
  ERROR_META_KEY, MESSAGE_STATUS_TOOL, SEND_TEXT_TOOL, messageStatusInputShape, messageStatusOutputShape, sendTextInputShape,
  sendTextOutputShape,
} from '../tool-schemas.js';
import type { TextMessageService } from './text-message-service.js';

export interface WhatsAppMcpServerOptions {
  logger?: Logger;
  /** @default 'zapflow-whatsapp' */
  name?: string;
  /** @default '0.1.0' */
  version?: string;
}

export function createWhatsAppMcpServer(service: TextMessageService, options: WhatsAppMcpServerOptions = {}): McpServer {
  const server = new McpServer({ name: options.name ?? 'zapflow-whatsapp', version: options.version ?? '0.1.0' });
  const logger = options.logger;

  server.registerTool(
    SEND_TEXT_TOOL,
    {
      title: 'Send a WhatsApp text message',
      description: `Sends a text message on WhatsApp through the configured provider (${service.provider}). ` +
        'Pass an idempotencyKey so a retried call never sends twice.',
      inputSchema: sendTextInputShape,
      outputSchema: sendTextOutputShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    async (args) => {
      try {
        const result = await service.send(args);
        const summary = result.deduplicated
          ? `Already sent under this idempotencyKey (message id ${result.messageId}); nothing new was sent.`
          : `Sent ${result.messageIds.length} message(s) via ${result.provider}, status ${result.status}: ${result.messageIds.join(', ')}.`;
        return { content: [{ type: 'text', text: summary }], structuredContent: { ...result } };
      } catch (error) {
        return toolError(error, SEND_TEXT_TOOL, logger);
      }
    },
  );

  server.registerTool(
    MESSAGE_STATUS_TOOL,
    {
      title: 'Get the status of a sent WhatsApp message',
      description: 'Returns the last known status of a message this server sent, by the provider message id.',
      inputSchema: messageStatusInputShape,
      outputSchema: messageStatusOutputShape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ messageId }) => {
      try {
        const status = await service.status(messageId);
        return { content: [{ type: 'text', text: `Message ${messageId}: ${status.status}.` }], structuredContent: { ...status } };
      } catch (error) {
        return toolError(error, MESSAGE_STATUS_TOOL, logger);
      }
    },
  );
  return server;
}

function toolError(error: unknown, tool: string, logger: Logger | undefined): CallToolResult {
  if (error instanceof WhatsAppMcpError) {
    logger?.warn({ tool, code: error.code, retryable: error.retryable }, 'WhatsApp tool call failed');
    return {
      isError: true,
      content: [{ type: 'text', text: error.message }],
      _meta: { [ERROR_META_KEY]: { code: error.code, retryable: error.retryable } },
    };
  }
  // A bug or a local failure (e.g. the log's disk is full): say so, and let the caller try again later.
  logger?.error({ tool, err: error }, 'unexpected error in WhatsApp tool');
  const message = error instanceof Error ? error.message : String(error);
  return {
    isError: true,
    content: [{ type: 'text', text: `Unexpected error in the WhatsApp MCP server: ${message}. Retrying later may help.` }],
    _meta: { [ERROR_META_KEY]: { code: 'INTERNAL', retryable: true } },
  };
}
