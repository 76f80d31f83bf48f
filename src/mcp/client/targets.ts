/**
 * Where the MCP client finds its server: a stdio command it spawns (and owns), an HTTP URL with a bearer
 * token, or an McpServer in the same process (InMemoryTransport). Each connection gets a fresh transport;
 * reconnecting means calling `openTransport` again.
 */
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

export type McpServerTarget =
  | {
      kind: 'stdio';
      command: string;
      args?: string[];
      /** Added to a minimal inherited environment (PATH, HOME, …): pass the server's own variables here. */
      env?: Record<string, string>;
      cwd?: string;
      /** Receives the server's stderr (its logs). @default written to this process's stderr */
      onStderr?: (chunk: string) => void;
    }
  | { kind: 'http'; url: string; /** Sent as `Authorization: Bearer …`. */ token?: string }
  | { kind: 'in-process'; /** Called once per connection: an McpServer serves one transport at a time. */ createServer: () => McpServer };

export interface OpenedTransport {
  transport: Transport;
  /** The last lines the server wrote to stderr (stdio only): shown when it fails to start. */
  stderrTail(): string;
  /** The child's pid (stdio only, while it runs). */
  pid(): number | undefined;
}

const STDERR_TAIL_CHARS = 2000;

export async function openTransport(target: McpServerTarget): Promise<OpenedTransport> {
  switch (target.kind) {
    case 'stdio': {
      const transport = new StdioClientTransport({
        command: target.command,
        args: target.args ?? [],
        env: { ...getDefaultEnvironment(), ...target.env },
        ...(target.cwd ? { cwd: target.cwd } : {}),
        // Piped, and always read: an unread pipe fills up and blocks the child's logging (and then the child).
        stderr: 'pipe',
      });
      let tail = '';
      const forward = target.onStderr ?? ((chunk: string) => process.stderr.write(chunk));
      transport.stderr?.on('data', (chunk: Buffer) => {
        const text = chunk.toString('utf8');
        tail = (tail + text).slice(-STDERR_TAIL_CHARS);
        forward(text);
      });
      return { transport, stderrTail: () => tail.trim(), pid: () => transport.pid ?? undefined };
    }
    case 'http': {
      const transport = new StreamableHTTPClientTransport(new URL(target.url), {
        ...(target.token ? { requestInit: { headers: { authorization: `Bearer ${target.token}` } } } : {}),
        // We only call tools; a dropped server-notification stream is not worth reconnect timers.
        reconnectionOptions: { maxRetries: 0, initialReconnectionDelay: 1000, maxReconnectionDelay: 1000, reconnectionDelayGrowFactor: 1 },
      });
      return { transport, stderrTail: () => '', pid: () => undefined };
    }
    case 'in-process': {
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await target.createServer().connect(serverSide);
      return { transport: clientSide, stderrTail: () => '', pid: () => undefined };
    }
  }
}

/** For messages: which server, without secrets. */
export function describeTarget(target: McpServerTarget): string {
  switch (target.kind) {
    case 'stdio':
      return `stdio: ${[target.command, ...(target.args ?? [])].join(' ')}`;
    case 'http':
      return `http: ${target.url}`;
    case 'in-process':
      return 'in-process';
  }
}
