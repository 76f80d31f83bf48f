/**
 * `zapflow serve`: the WhatsApp support service. Configuration comes from the environment (see .env.example),
 * and from a `.env` file in the working directory when there is one (variables already set win; `--env-file`
 * names another file); a bad value stops the start with the list of problems. SIGTERM/SIGINT stop it gracefully.
 *
 * A database that does not answer yet is not a reason to exit: under a restart policy that would be a crash
 * loop. Until storage answers, the port serves `/healthz` (200, alive) and `/readyz` (503, with the reason),
 * and the start is retried with backoff.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import express from 'express';
import { createApp, type App, type AppOverrides } from '../../app.js';
import { Option } from 'commander';
import { ConfigError, loadConfig, type Config, type Role } from '../../config.js';
import { StorageUnavailableError } from '../../engine/index.js';
import { bearerTokenOf, tokenMatches } from '../../http/auth.js';
import { createLogger, type Logger } from '../../logging.js';
import { restartWithOneV8Thread, v8PoolRestartOptions, v8PoolSizeOf } from '../v8-pool.js';

/** Answers probes while the service waits for its database; closed once the real app takes the port. */
function startWaitingRoom(config: Config, reason: () => string): Promise<Server> {
  const app = express();
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  // The reason names the database host and port: only for the admin token's bearer.
  app.get('/readyz', (req, res) => {
    const presented = bearerTokenOf(req.get('authorization'));
    const admin = config.adminToken !== undefined && presented !== undefined && tokenMatches(presented, createHash('sha256').update(config.adminToken, 'utf8').digest());
    res.status(503).json({ status: 'not_ready', checks: { storage: admin ? reason() : 'failing' } });
  });
  app.use((_req, res) => void res.status(503).json({ error: 'zapflow is starting: storage is not reachable yet', code: 'NOT_READY' }));
  return new Promise((resolve, reject) => {
    const server = app.listen(config.port, config.host, () => resolve(server));
    server.once('error', reject);
  });
}

async function createAppWhenStorageAnswers(config: Config, overrides: AppOverrides & { logger: Logger }, stopping: () => boolean): Promise<App | undefined> {
  const { logger } = overrides;
  let waitingRoom: Server | undefined;
  let lastError = '';
  try {
    for (let attempt = 1; !stopping(); attempt++) {
      try {
        return await createApp(config, overrides);
      } catch (error) {
        if (!(error instanceof StorageUnavailableError)) throw error;
        lastError = error.message;
        waitingRoom ??= await startWaitingRoom(config, () => lastError);
        const delayMs = Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
        logger.warn({ attempt, retryInMs: delayMs, err: error }, 'storage not reachable; not ready, retrying');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    return undefined;
  } finally {
    if (waitingRoom) await new Promise((resolve) => waitingRoom!.close(resolve));
  }
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the WhatsApp support service (webhooks, workflows, admin API, MCP) — configured by the environment')
    .option('--env-file <path>', 'read settings from this file (variables already set in the environment win)', '.env')
    .addOption(new Option('--role <role>', 'all: everything in this process; web: webhooks, admin API, console and /mcp, with turns run by `zapflow worker` processes (Postgres)').choices(['all', 'web', 'worker']))
    .addHelpText('after', '\nEvery setting is an environment variable: see .env.example. A .env file in the working directory is read\nwhen present; variables already set win. Storage, model and WhatsApp sender are chosen from the credentials present.')
    .action(async (options: { envFile: string; role?: Role }) => runService('serve', options));
  program
    .command('worker')
    .description('Run a worker (Postgres scale-out): conversation turns, outbox delivery and scheduled jobs; serves /healthz, /readyz and /metrics')
    .option('--env-file <path>', 'read settings from this file (variables already set in the environment win)', '.env')
    .addHelpText('after', '\nSame configuration as `zapflow serve`. Needs DATABASE_URL: SQLite runs as one process (`zapflow serve`).')
    .action(async (options: { envFile: string }) => runService('worker', { ...options, role: 'worker' }));
}

async function runService(command: string, options: { envFile: string; role?: Role }): Promise<void> {
  let config: Config;
  try {
    // Node's own parser; it never overrides a variable the environment already has.
    if (existsSync(options.envFile)) process.loadEnvFile(options.envFile);
    else if (options.envFile !== '.env') {
      process.stderr.write(`zapflow ${command}: --env-file ${options.envFile}: no such file\n`);
      process.exit(78); // EX_CONFIG
    }
    config = loadConfig(process.env, { purpose: 'serve', ...(options.role ? { role: options.role } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  // Before anything is opened: on two cores this process starts again (same PID) with one V8 background thread.
  restartWithOneV8Thread({ role: config.role, processing: config.processing, cores: availableParallelism() });
  const logger = createLogger({ level: config.logLevel });
  let stopping = false;
  const running: { app?: App } = {};
  const shutdown = (signal: string, exitCode = 0) => {
    if (stopping && exitCode === 0) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    (running.app ? running.app.stop() : Promise.resolve()).then(
      () => process.exit(exitCode),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  // A dead processing thread cannot be half-recovered in place: stop (acked messages stay in the inbox)
  // and exit non-zero, so that the supervisor restarts the service and the new start picks them up.
  const onProcessingCrash = () => shutdown('processing thread crashed', 1);
  const app = await createAppWhenStorageAnswers(config, { logger, onProcessingCrash }, () => stopping);
  if (!app || stopping) return;
  running.app = app;
  await app.start();
  adviseV8PoolSize(config, logger);
}

/**
 * On two cores, says how many V8 background threads this process runs with — and, where node could not start
 * itself again with one (`process.execve` missing or refused), how to set it.
 */
function adviseV8PoolSize(config: Config, logger: Logger): void {
  const context = { role: config.role, processing: config.processing, cores: availableParallelism(), execArgv: process.execArgv, nodeOptions: process.env.NODE_OPTIONS };
  if (v8PoolRestartOptions(context) === undefined) {
    const size = v8PoolSizeOf(context.execArgv, context.nodeOptions);
    if (size !== undefined && context.cores <= 2) logger.info({ cores: context.cores, v8PoolSize: size }, 'V8 background threads set by --v8-pool-size');
    return;
  }
  logger.info(
    { cores: context.cores },
    'two cores: start node with NODE_OPTIONS=--v8-pool-size=1 to keep webhook acks fast while turns run (README, "Threads and CPU")',
  );
}
