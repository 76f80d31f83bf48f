import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { configProblems } from '../helpers/config-problems.js';

const serveEnv = {
  WHATSAPP_APP_SECRET: 'app-secret-123',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
  ADMIN_TOKEN: 'admin-token-0123456789',
  AGENT_ALERT_NUMBERS: '5511900000090, 5511900000091',
};

const problemsOf = (env: Record<string, string>, purpose: 'serve' | 'tool' = 'tool'): string[] => configProblems(env, purpose);

describe('loadConfig', () => {
  it('runs with no environment at all on embedded defaults: SQLite file, embedded model, dry-run WhatsApp', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.storage).toEqual({ kind: 'sqlite', dbFile: 'data/zapflow.db', tablePrefix: 'zapflow_', synchronous: 'normal', commitWindowMs: 20 });
    expect(config.model).toEqual({ kind: 'embedded' });
    expect(config.sender).toEqual({ kind: 'dry-run' });
    expect(config.retentionDays).toBe(90);
    expect(config.processing).toBe('thread');
    expect(config.processingNice).toBe(10);
  });

  it('takes per-job schedule overrides, and names an entry for a job that does not exist', () => {
    expect(loadConfig({ JOB_SCHEDULES: 'sla-realert=0,30 * * * * *; retention = 30 4 * * *' }).jobSchedules)
      .toEqual({ 'sla-realert': '0,30 * * * * *', retention: '30 4 * * *' });
    expect(loadConfig({}).jobSchedules).toEqual({});
    expect(problemsOf({ JOB_SCHEDULES: 'sla-realert=* * * * *;purge-all=* * * * *' }).join('\n')).toMatch(/^JOB_SCHEDULES(\.1)?: each entry is <job>=<cron expression>/m);
  });

  it('keeps turns in the request thread when asked, and refuses a processing mode or nice it does not know', () => {
    expect(loadConfig({ ZAPFLOW_PROCESSING: 'inline', ZAPFLOW_PROCESSING_NICE: '0' })).toMatchObject({ processing: 'inline', processingNice: 0 });
    const problems = problemsOf({ ZAPFLOW_PROCESSING: 'cluster', ZAPFLOW_PROCESSING_NICE: '25' });
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toMatch(/^ZAPFLOW_PROCESSING: /m);
    expect(problems.join('\n')).toMatch(/^ZAPFLOW_PROCESSING_NICE: /m);
  });

  it('chooses Postgres, Claude and the Meta sender from the credentials that are present', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/test',
      ANTHROPIC_API_KEY: 'sk-ant-test',
      META_ACCESS_TOKEN: 'meta-token',
      META_PHONE_NUMBER_ID: '100000000000002',
    });
    expect(config.storage.kind).toBe('postgres');
    expect(config.model).toMatchObject({ kind: 'claude', classifierModel: 'claude-haiku-4-5' });
    expect(config.sender).toMatchObject({ kind: 'meta', phoneNumberId: '100000000000002', apiVersion: 'v21.0' });
  });

  it('uses Evolution when its three variables are set and Meta is not', () => {
    const config = loadConfig({ EVOLUTION_URL: 'http://127.0.0.1:8080', EVOLUTION_API_KEY: 'k', EVOLUTION_INSTANCE: 'loja' });
    expect(config.sender).toEqual({ kind: 'evolution', baseUrl: 'http://127.0.0.1:8080', apiKey: 'k', instance: 'loja' });
  });

  it('lists every problem in one error instead of stopping at the first', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/db',
      META_ACCESS_TOKEN: 'only-half',
      AGENT_ALERT_NUMBERS: '5511900000090,not-a-number',
      ADMIN_TOKEN: 'short',
    });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/^PORT: /m);
    expect(problems.join('\n')).toMatch(/^DATABASE_URL: must be a postgres/m);
    expect(problems.join('\n')).toMatch(/^AGENT_ALERT_NUMBERS\.1: must be a phone number/m);
    expect(problems.join('\n')).toMatch(/^ADMIN_TOKEN: must be at least 16/m);
    expect(problems.join('\n')).toMatch(/META_ACCESS_TOKEN and META_PHONE_NUMBER_ID: set both/);
  });

  it('SQLite commit window: an operator trades CPU for ack latency in milliseconds, within 0–1000', () => {
    expect(loadConfig({ SQLITE_COMMIT_WINDOW_MS: '5' }).storage).toMatchObject({ kind: 'sqlite', commitWindowMs: 5 });
    expect(loadConfig({ SQLITE_COMMIT_WINDOW_MS: '0' }).storage).toMatchObject({ kind: 'sqlite', commitWindowMs: 0 });
    for (const bad of ['fast', '-1', '5000', '2.5']) expect(problemsOf({ SQLITE_COMMIT_WINDOW_MS: bad }).join('\n')).toMatch(/^SQLITE_COMMIT_WINDOW_MS: /m);
  });

  it('the message an operator sees names each variable and points to .env.example', () => {
    expect(() => loadConfig({ PORT: '-1', MCP_SERVER: 'ftp://x' })).toThrowError(/2 problem\(s\):\n {2}- PORT: .*\n {2}- MCP_SERVER: .*\nSee \.env\.example/);
  });

  it('serving requires a webhook secret, an admin token and someone to alert', () => {
    expect(problemsOf({}, 'serve')).toEqual([
      'WHATSAPP_APP_SECRET, EVOLUTION_WEBHOOK_SECRET or CHATWOOT_WEBHOOK_TOKEN (with CHATWOOT_URL and CHATWOOT_BOT_TOKEN): set at least one, or no customer message can be received',
      'ADMIN_TOKEN: required (at least 16 characters) to protect the admin API',
      'AGENT_ALERT_NUMBERS: list at least one agent number or group to alert on handoffs',
    ]);
    expect(problemsOf(serveEnv, 'serve')).toEqual([]);
    expect(loadConfig(serveEnv, { purpose: 'serve' }).agentAlertNumbers).toEqual(['5511900000090', '5511900000091']);
  });

  it('cases: PUBLIC_URL must be an http(s) URL (trailing slash dropped), idle hours positive, the joined text names the agent', () => {
    const config = loadConfig({ PUBLIC_URL: 'https://atendimento.example.com/', CASE_IDLE_CLOSE_HOURS: '48', AGENT_JOINED_TEXT: 'Oi, sou {agent}.' });
    expect(config.publicUrl).toBe('https://atendimento.example.com');
    expect(config.cases.idleCloseHours).toBe(48);
    expect(config.cases.texts.agentJoined).toBe('Oi, sou {agent}.');
    expect(loadConfig({}).cases.idleCloseHours).toBe(24);
    expect(loadConfig({}).publicUrl).toBeUndefined();
    const problems = problemsOf({ PUBLIC_URL: 'ftp://example.com', CASE_IDLE_CLOSE_HOURS: '0', AGENT_JOINED_TEXT: 'Olá, um atendente entrou.' });
    expect(problems.join('\n')).toMatch(/PUBLIC_URL: must be an http\(s\) URL/);
    expect(problems.join('\n')).toMatch(/CASE_IDLE_CLOSE_HOURS/);
    expect(problems.join('\n')).toMatch(/AGENT_JOINED_TEXT: must contain \{agent\}/);
    expect(problemsOf({ PUBLIC_URL: 'not a url' }).join('\n')).toMatch(/PUBLIC_URL/);
  });

  it('treats empty variables as unset, as docker-compose files often leave them', () => {
    expect(loadConfig({ DATABASE_URL: '', ANTHROPIC_API_KEY: '  ' }).storage.kind).toBe('sqlite');
  });
});
