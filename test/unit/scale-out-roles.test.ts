/**
 * Roles from one configuration: `serve` (all), `serve --role web` and `zapflow worker`. SQLite is one process:
 * asking for a separate web or worker process on it is refused with a message that says what to do.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type Role } from '../../src/config.js';

const serveEnv = {
  WHATSAPP_APP_SECRET: 'app-secret-123',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
  ADMIN_TOKEN: 'admin-token-0123456789',
  AGENT_ALERT_NUMBERS: '5511900000090',
};
const postgres = { DATABASE_URL: 'postgresql://zapflow@db:5432/zapflow' };

function problemsOf(env: Record<string, string>, role: Role): string[] {
  try {
    loadConfig(env, { purpose: 'serve', role });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('scale-out roles', () => {
  it('a separate worker or web process on SQLite is refused, naming DATABASE_URL and `zapflow serve`', () => {
    const worker = problemsOf(serveEnv, 'worker');
    expect(worker).toHaveLength(1);
    expect(worker[0]).toMatch(/^DATABASE_URL: a separate worker .*needs Postgres.*zapflow serve/);
    expect(problemsOf(serveEnv, 'web')[0]).toMatch(/^DATABASE_URL: `serve --role web` needs Postgres/);
    expect(problemsOf(serveEnv, 'all')).toEqual([]);
  });

  it('on Postgres every role starts from the same configuration; a worker needs no webhook secrets or admin token', () => {
    expect(loadConfig({ ...serveEnv, ...postgres }, { purpose: 'serve', role: 'web' }).role).toBe('web');
    expect(problemsOf({ ...postgres, AGENT_ALERT_NUMBERS: '5511900000090' }, 'worker')).toEqual([]);
    expect(problemsOf({ ...postgres, WHATSAPP_APP_SECRET: 'app-secret-123', WHATSAPP_VERIFY_TOKEN: 'verify-token-123', ADMIN_TOKEN: 'admin-token-0123456789' }, 'web')).toEqual([]);
  });

  it('the queue settings have safe defaults and follow the table prefix', () => {
    const config = loadConfig({ ...postgres, ZAPFLOW_TABLE_PREFIX: 'acme_', ZAPFLOW_ROLE: 'worker' });
    expect(config.role).toBe('worker');
    expect(config.queue).toEqual({ schema: 'acme_queue', heartbeatSeconds: 10, superviseSeconds: 5 });
    expect(config.runLeaseMs).toBe(30_000);
    expect(() => loadConfig({ ...postgres, QUEUE_HEARTBEAT_SECONDS: '5' })).toThrow(/QUEUE_HEARTBEAT_SECONDS/);
  });
});
