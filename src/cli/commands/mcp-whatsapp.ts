/**
 * `zapflow mcp-whatsapp`: the bundled WhatsApp MCP server over stdio, for zapflow's own MCP client and for
 * any other MCP client (Claude Desktop, agents). Configured by the environment only, like an MCP server
 * entry in a client's config file.
 */
import type { Command } from 'commander';
import { WhatsAppMcpError } from '../../mcp/errors.js';
import { runWhatsAppMcpStdio } from '../../mcp/server/stdio.js';

const ENVIRONMENT_HELP = `
Environment:
  META_ACCESS_TOKEN, META_PHONE_NUMBER_ID    Meta WhatsApp Cloud API sender
  META_GRAPH_URL, META_API_VERSION           (optional) default https://graph.facebook.com, v21.0
  EVOLUTION_URL, EVOLUTION_API_KEY,
  EVOLUTION_INSTANCE                         Evolution API sender
  WHATSAPP_PROVIDER                          meta | evolution | dry-run (needed only when both are configured)
  WHATSAPP_SEND_TIMEOUT_MS                   per-request timeout to the provider (default 8000)
  ZAPFLOW_DATA_DIR                           where the sent-message log lives (default ./data)
  LOG_LEVEL                                  pino level for the logs on stderr (default info)
Without provider credentials, messages are recorded but not sent (dry-run).
Tools: send_text_message { number, message, instance?, idempotencyKey? }, get_message_status { messageId }.`;

export function register(program: Command): void {
  program
    .command('mcp-whatsapp')
    .description('Run the WhatsApp MCP server on stdio (tools: send_text_message, get_message_status)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .action(async () => {
      try {
        const server = await runWhatsAppMcpStdio();
        await server.closed;
      } catch (error) {
        // stdout belongs to the MCP protocol: the reason goes to stderr, and the exit code says it failed.
        process.stderr.write(`zapflow mcp-whatsapp: ${error instanceof WhatsAppMcpError ? error.message : String(error)}\n`);
        process.exit(1);
      }
      // Idle keep-alive sockets to the provider must not keep a finished server alive.
      process.exit(0);
    });
}
