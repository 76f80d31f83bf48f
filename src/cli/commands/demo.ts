/**
 * `zapflow demo`: the service demo (real HTTP, real workflows, dry-run WhatsApp) — `npm run demo`.
 * `zapflow demo --example`: the engine's example workflow with its event stream.
 */
import type { Command } from 'commander';
import { runDemo, SAMPLE_MESSAGES } from '../demo/example.js';
import { runServiceDemo } from '../demo/service-demo.js';

export function register(program: Command): void {
  program
    .command('demo')
    .description('Run the WhatsApp support service on ~20 realistic conversations (offline: SQLite, embedded model, dry-run WhatsApp)')
    .option('--speed <factor>', 'multiply the pauses between a customer\'s messages (0.25 = 4× faster)', '1')
    .option('--example', 'instead, run the engine\'s example workflow and stream its events')
    .option('--message <text>', 'with --example: a customer message to run instead of the samples')
    .action(async (options: { speed: string; example?: boolean; message?: string }) => {
      const write = (line: string) => process.stdout.write(`${line}\n`);
      if (options.example) {
        const results = await runDemo(options.message === undefined ? SAMPLE_MESSAGES : [options.message], { write });
        process.exitCode = results.every((r) => r.status === 'completed') ? 0 : 1;
        return;
      }
      const speed = Number(options.speed);
      if (!Number.isFinite(speed) || speed < 0) {
        process.stderr.write(`zapflow demo: --speed must be a number ≥ 0, got "${options.speed}"\n`);
        process.exit(1);
      }
      await runServiceDemo({ write }, { speed });
      process.exitCode = 0;
    });
}
