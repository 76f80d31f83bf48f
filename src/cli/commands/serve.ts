/**
 * `zapflow serve`: the WhatsApp support service. Configuration comes from the environment only (see
 * .env.example); a bad value stops the start with the list of problems. SIGTERM/SIGINT stop it gracefully.
 */
import type { Command } from 'commander';
import { createApp } from '../../app.js';
import { ConfigError, loadConfig } from '../../config.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the WhatsApp support service (webhooks, workflows, admin API, MCP) — configured by the environment')
    .addHelpText('after', '\nEvery setting is an environment variable: see .env.example. Storage, model and WhatsApp sender are chosen from the credentials present.')
    .action(async () => {
      let config;
      try {
        config = loadConfig(process.env, { purpose: 'serve' });
      } catch (error) {
        if (error instanceof ConfigError) {
          process.stderr.write(`${error.message}\n`);
          process.exit(78); // EX_CONFIG
        }
        throw error;
      }
      const app = await createApp(config);
      const shutdown = (signal: string) => {
        app.logger.info({ signal }, 'shutting down');
        const force = setTimeout(() => process.exit(1), 25_000);
        force.unref();
        app.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            app.logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      await app.start();
    });
}
