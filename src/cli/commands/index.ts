import type { Command } from 'commander';
import { register as registerMcpWhatsApp } from './mcp-whatsapp.js';
import { register as registerSimulate } from './simulate.js';

/** Every subcommand registers itself here (one import + one call per command file). */
export function registerCommands(program: Command): void {
  registerMcpWhatsApp(program);
  registerSimulate(program);
}
