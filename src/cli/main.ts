#!/usr/bin/env node
/**
 * The `zapflow` command. Each subcommand lives in src/cli/commands/<name>.ts and exports
 * `register(program: Command)`; this file only wires them together.
 */
import { Command } from 'commander';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('zapflow')
    .description('WhatsApp customer support on a durable workflow engine')
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander exits on --help/--version with code 0; keep that, and exit 1 on usage errors.
      process.exit(err.exitCode);
    });
  registerCommands(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
