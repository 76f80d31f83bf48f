/** A real deployment never sends nothing by accident: dry-run under NODE_ENV=production must be asked for. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const serveEnv = {
  WHATSAPP_APP_SECRET: 'app-secret-123',
  WHATSAPP_VERIFY_TOKEN: 'verify-token-123',
  ADMIN_TOKEN: 'admin-token-0123456789',
  AGENT_ALERT_NUMBERS: '5511900000090',
};

describe('dry-run and production', () => {
  it('refuses to serve in production without WhatsApp credentials, saying what to set', () => {
    const error = (() => {
      try {
        loadConfig({ ...serveEnv, NODE_ENV: 'production' }, { purpose: 'serve' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain('WHATSAPP_DRY_RUN=true');
    expect((error as ConfigError).message).toContain('META_ACCESS_TOKEN');
  });

  it('serves in production when dry-run is asked for explicitly, or when a sender is configured', () => {
    expect(loadConfig({ ...serveEnv, NODE_ENV: 'production', WHATSAPP_DRY_RUN: 'true' }, { purpose: 'serve' })).toMatchObject({ sender: { kind: 'dry-run' }, dryRunRequested: true });
    const meta = loadConfig({ ...serveEnv, NODE_ENV: 'production', META_ACCESS_TOKEN: 'token', META_PHONE_NUMBER_ID: '100000000000002' }, { purpose: 'serve' });
    expect(meta.sender.kind).toBe('meta');
  });

  it('outside production, dry-run stays the zero-configuration default', () => {
    expect(loadConfig(serveEnv, { purpose: 'serve' }).sender.kind).toBe('dry-run');
  });

  it('MCP_ALLOWED_ORIGINS takes scheme://host[:port] origins and refuses paths', () => {
    expect(loadConfig({ MCP_ALLOWED_ORIGINS: 'https://console.example.com, http://10.0.0.5:8080' }).mcp.allowedOrigins).toEqual([
      'https://console.example.com',
      'http://10.0.0.5:8080',
    ]);
    expect(() => loadConfig({ MCP_ALLOWED_ORIGINS: 'https://console.example.com/mcp' })).toThrow(/MCP_ALLOWED_ORIGINS/);
  });

  it('WHATSAPP_VERIFY_TOKEN shorter than 8 characters is refused, naming the minimum', () => {
    expect(() => loadConfig({ WHATSAPP_APP_SECRET: 'app-secret-123', WHATSAPP_VERIFY_TOKEN: 'short' })).toThrow(/WHATSAPP_VERIFY_TOKEN: must be at least 8 characters/);
  });
});
