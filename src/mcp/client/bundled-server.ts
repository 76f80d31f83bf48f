/**
 * How to start the WhatsApp MCP server zapflow ships (`zapflow mcp-whatsapp`) as a stdio child of this very
 * installation: from a checkout (TypeScript, through tsx) or from the built package (dist JavaScript). No
 * PATH lookup, no npx wrapper — the child is the node process itself, so closing it leaves no grandchild.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { McpServerTarget } from './targets.js';

/** The variables the server reads; only these are passed on (the SDK gives the child a minimal environment). */
const SERVER_VARIABLES = /^(META_|EVOLUTION_|WHATSAPP_|ZAPFLOW_DATA_DIR$|LOG_LEVEL$|TZ$)/;

export interface BundledServerOptions {
  /** Where the server's variables come from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Variables to set on top (e.g. ZAPFLOW_DATA_DIR in tests). */
  overrides?: Record<string, string>;
  onStderr?: (chunk: string) => void;
}

export function bundledWhatsAppServer(options: BundledServerOptions = {}): McpServerTarget {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const cliMain = resolve(dirname(here), '..', '..', 'cli', fromSource ? 'main.ts' : 'main.js');
  // From a checkout the CLI is TypeScript: load tsx by absolute URL so the child works from any cwd.
  const args = fromSource ? ['--import', import.meta.resolve('tsx'), cliMain, 'mcp-whatsapp'] : [cliMain, 'mcp-whatsapp'];
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.env ?? process.env)) {
    if (value !== undefined && SERVER_VARIABLES.test(name)) env[name] = value;
  }
  Object.assign(env, options.overrides);
  return { kind: 'stdio', command: process.execPath, args, env, ...(options.onStderr ? { onStderr: options.onStderr } : {}) };
}
