import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskPhone, scrubString } from '../../src/logging.js';

function capture(level: 'info' | 'debug' = 'info', logMessageText = false) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      callback();
    },
  });
  return { logger: createLogger({ level, destination, logMessageText }), lines };
}

describe('logs at info level', () => {
  it('never contain a full phone number, CPF or message text, wherever they hide', () => {
    const { logger, lines } = capture();
    logger.info(
      { from: '5511987654321', conversationKey: 'meta:100000000000002:5511987654321', text: 'meu cpf é 123.456.789-09', jid: '5511987654321@s.whatsapp.net' },
      'inbound from +55 11 98765-4321',
    );
    const written = JSON.stringify(lines);
    expect(written).not.toContain('987654321');
    expect(written).not.toContain('123.456.789');
    expect(written).not.toContain('meu cpf');
    expect(lines[0]?.text).toBe('[text: 24 chars]');
    expect(lines[0]?.from).toBe('55119****4321');
  });

  it('never contain secrets, even in nested objects', () => {
    const { logger, lines } = capture();
    logger.info({ request: { headers: { authorization: 'Bearer abc', apikey: 'k-123' } } }, 'admin call');
    expect(JSON.stringify(lines)).not.toMatch(/abc|k-123/);
  });

  it('keep ids and numbers that are not personal data readable', () => {
    const { logger, lines } = capture();
    logger.info({ runId: 'run_01', protocolNumber: '20261125000123', steps: 12 }, 'run finished');
    expect(lines[0]).toMatchObject({ runId: 'run_01', protocolNumber: '20261125000123', steps: 12, msg: 'run finished' });
  });

  it('show message text only when an operator opts in at debug level', () => {
    const debug = capture('debug', true);
    debug.logger.debug({ text: 'minha maquininha não liga' }, 'inbound');
    expect(debug.lines[0]?.text).toBe('minha maquininha não liga');
    const info = capture('info', true);
    info.logger.info({ text: 'minha maquininha não liga' }, 'inbound');
    expect(info.lines[0]?.text).toBe('[text: 25 chars]');
  });
});

describe('masking helpers', () => {
  it('mask phone numbers but keep them distinguishable', () => {
    expect(maskPhone('5511900000001')).toBe('55119****0001');
    expect(scrubString('call 5511900000001 or 5511900000002')).toBe('call 55119****0001 or 55119****0002');
  });
});

describe('logging never throws', () => {
  it('logs { err } that is undefined or a string (a lost connection reported without an Error) without crashing', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    logger.warn({ err: undefined }, 'connection lost');
    logger.warn({ err: 'Connection terminated unexpectedly for 5511987654321' }, 'connection lost');
    expect(lines).toHaveLength(2);
    expect(lines[1]).not.toContain('5511987654321');
  });
});
