import { describe, expect, it } from 'vitest';
import { WhatsAppConfigError } from '../../../src/mcp/errors.js';
import { createSender, senderConfigFromEnv } from '../../../src/mcp/senders/config.js';

const meta = { META_ACCESS_TOKEN: 'token', META_PHONE_NUMBER_ID: '100000000000001' };
const evolution = { EVOLUTION_URL: 'http://evolution:8080', EVOLUTION_API_KEY: 'key', EVOLUTION_INSTANCE: 'atendimento' };

function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    senderConfigFromEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(WhatsAppConfigError);
    return (error as WhatsAppConfigError).problems;
  }
  throw new Error('expected a configuration error');
}

describe('senderConfigFromEnv', () => {
  it('is dry-run when no provider is configured (empty values count as unset)', () => {
    expect(senderConfigFromEnv({})).toEqual({ provider: 'dry-run' });
    expect(senderConfigFromEnv({ META_ACCESS_TOKEN: ' ', EVOLUTION_URL: '' })).toEqual({ provider: 'dry-run' });
    expect(createSender({ provider: 'dry-run' }).provider).toBe('dry-run');
  });

  it('picks Meta or Evolution from complete credentials, with optional URL, version and timeout', () => {
    expect(senderConfigFromEnv({ ...meta, META_GRAPH_URL: 'http://127.0.0.1:9', META_API_VERSION: 'v22.0', WHATSAPP_SEND_TIMEOUT_MS: '3000' })).toEqual({
      provider: 'meta', accessToken: 'token', phoneNumberId: '100000000000001', graphUrl: 'http://127.0.0.1:9', apiVersion: 'v22.0', timeoutMs: 3000,
    });
    expect(senderConfigFromEnv(evolution)).toEqual({ provider: 'evolution', baseUrl: 'http://evolution:8080', apiKey: 'key', instance: 'atendimento' });
    expect(senderConfigFromEnv({ ...meta, ...evolution, WHATSAPP_PROVIDER: 'evolution' }).provider).toBe('evolution');
  });

  it('refuses half a configuration instead of silently not sending, listing every problem', () => {
    const found = problems({ META_ACCESS_TOKEN: 'token', EVOLUTION_URL: 'not a url', EVOLUTION_INSTANCE: 'x', WHATSAPP_SEND_TIMEOUT_MS: 'soon' });
    expect(found).toHaveLength(4);
    expect(found.join('\n')).toContain('META_PHONE_NUMBER_ID');
    expect(found.join('\n')).toContain('EVOLUTION_API_KEY');
    expect(found.join('\n')).toContain('EVOLUTION_URL must be an http(s) URL');
    expect(found.join('\n')).toContain('WHATSAPP_SEND_TIMEOUT_MS');
  });

  it('asks to choose when both providers are configured, and names what a forced provider lacks', () => {
    expect(problems({ ...meta, ...evolution })[0]).toContain('WHATSAPP_PROVIDER');
    expect(problems({ WHATSAPP_PROVIDER: 'meta' })[0]).toContain('META_ACCESS_TOKEN');
    expect(problems({ WHATSAPP_PROVIDER: 'twilio' })[0]).toContain('meta, evolution or dry-run');
  });
});
