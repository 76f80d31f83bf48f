/** The send logic behind the tools: idempotency, splitting, partial failures, dry-run records. */
import { describe, expect, it } from 'vitest';
import { WhatsAppSendError } from '../../../src/mcp/errors.js';
import { DryRunSender } from '../../../src/mcp/senders/dry-run.js';
import type { OutgoingText, SentText, WhatsAppSender } from '../../../src/mcp/senders/types.js';
import { MemorySentMessageLog } from '../../../src/mcp/server/message-log.js';
import { TextMessageService } from '../../../src/mcp/server/text-message-service.js';

/** Records what reached "WhatsApp"; fails the calls listed in `failOn` (1-based call numbers). */
class ScriptedSender implements WhatsAppSender {
  readonly provider = 'meta' as const;
  readonly sent: OutgoingText[] = [];
  calls = 0;
  constructor(private readonly failOn: number[] = [], private readonly gate?: Promise<void>) {}
  async sendText(message: OutgoingText): Promise<SentText> {
    this.calls++;
    await this.gate;
    if (this.failOn.includes(this.calls)) throw new WhatsAppSendError('PROVIDER_UNAVAILABLE', 'Meta is down; retrying later can help.', true);
    this.sent.push(message);
    return { messageId: `wamid.${this.sent.length}`, status: 'accepted' };
  }
}

const longText = Array.from({ length: 300 }, (_, i) => `Frase número ${i} da resposta.`).join(' ');

describe('TextMessageService', () => {
  it('sends once per idempotency key, and says so when a repeat was deduplicated', async () => {
    const sender = new ScriptedSender();
    const service = new TextMessageService({ sender, log: new MemorySentMessageLog() });
    const input = { number: '+5511900000041', message: 'Olá', idempotencyKey: 'run-1/notify' };
    const first = await service.send(input);
    const again = await service.send(input);
    expect(first).toEqual({ messageId: 'wamid.1', messageIds: ['wamid.1'], status: 'accepted', provider: 'meta', deduplicated: false });
    expect(again).toEqual({ ...first, deduplicated: true });
    expect(sender.sent).toHaveLength(1);
  });

  it('sends a concurrent duplicate only once', async () => {
    let open: () => void = () => {};
    const sender = new ScriptedSender([], new Promise<void>((resolve) => (open = resolve)));
    const service = new TextMessageService({ sender, log: new MemorySentMessageLog() });
    const input = { number: '+5511900000041', message: 'Olá', idempotencyKey: 'k' };
    const both = Promise.all([service.send(input), service.send(input)]);
    open();
    const [a, b] = await both;
    expect(sender.sent).toHaveLength(1);
    expect(b.messageId).toBe(a.messageId);
  });

  it('refuses a key reused for a different message', async () => {
    const service = new TextMessageService({ sender: new ScriptedSender(), log: new MemorySentMessageLog() });
    await service.send({ number: '+5511900000041', message: 'Olá', idempotencyKey: 'k' });
    await expect(service.send({ number: '+5511900000041', message: 'Outra coisa', idempotencyKey: 'k' }))
      .rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', retryable: false });
  });

  it('splits a long text into several messages and reports every id', async () => {
    const sender = new ScriptedSender();
    const service = new TextMessageService({ sender, log: new MemorySentMessageLog() });
    const result = await service.send({ number: '+5511900000041', message: longText, idempotencyKey: 'long' });
    expect(result.messageIds.length).toBeGreaterThan(1);
    expect(result.messageIds).toEqual(sender.sent.map((_, i) => `wamid.${i + 1}`));
    expect(result.messageId).toBe(result.messageIds[0]);
    expect(sender.sent.map((m) => m.text).join(' ')).toBe(longText);
  });

  it('after a failure mid-way, a retry sends only the parts that did not go out', async () => {
    const sender = new ScriptedSender([2]);
    const service = new TextMessageService({ sender, log: new MemorySentMessageLog() });
    const input = { number: '+5511900000041', message: longText, idempotencyKey: 'long' };
    await expect(service.send(input)).rejects.toMatchObject({ code: 'PROVIDER_UNAVAILABLE', retryable: true });
    expect(sender.sent).toHaveLength(1);
    const result = await service.send(input);
    expect(result.messageIds).toEqual(sender.sent.map((_, i) => `wamid.${i + 1}`));
    expect(sender.sent.map((m) => m.text).join(' ')).toBe(longText);
  });

  it('rejects a bad number before anything is sent', async () => {
    const sender = new ScriptedSender();
    const service = new TextMessageService({ sender, log: new MemorySentMessageLog() });
    await expect(service.send({ number: '12', message: 'Olá' })).rejects.toMatchObject({ code: 'INVALID_RECIPIENT', retryable: false });
    expect(sender.calls).toBe(0);
  });

  it('dry-run keeps the text in the log, and the status lookup finds it', async () => {
    const log = new MemorySentMessageLog();
    const service = new TextMessageService({ sender: new DryRunSender(), log, now: () => Date.UTC(2026, 8, 14) });
    const result = await service.send({ number: '120363025246125486@g.us', message: 'Novo atendimento: protocolo 2026000123' });
    expect(result).toMatchObject({ status: 'dry_run', provider: 'dry-run', deduplicated: false });
    expect(await log.list({ provider: 'dry-run' })).toMatchObject([{ recipient: '120363025246125486@g.us', text: 'Novo atendimento: protocolo 2026000123' }]);
    expect(await service.status(result.messageId)).toEqual({
      messageId: result.messageId, status: 'dry_run', provider: 'dry-run', part: 0, parts: 1, updatedAt: '2026-09-14T00:00:00.000Z',
    });
    await expect(service.status('wamid.unknown')).rejects.toMatchObject({ code: 'UNKNOWN_MESSAGE', retryable: false });
  });

  it('real sends keep no message text in the log', async () => {
    const log = new MemorySentMessageLog();
    const service = new TextMessageService({ sender: new ScriptedSender(), log });
    await service.send({ number: '+5511900000041', message: 'Meu CPF é 123.456.789-00' });
    const [entry] = await log.list();
    expect(entry?.text).toBeUndefined();
    expect(entry?.textLength).toBe(24);
  });
});
