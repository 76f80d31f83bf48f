import type { Command } from 'commander';

/** Every subcommand registers itself here (one import + one call per command file). */
export function registerCommands(_program: Command): void {}
