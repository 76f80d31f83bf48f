/** One contract for both sent-message logs, plus what only SQLite promises: surviving a restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemorySentMessageLog } from '../../../src/mcp/server/message-log.js';
import type { SentMessageLog, SentMessageRecord } from '../../../src/mcp/server/message-log.js';
import { SqliteSentMessageLog } from '../../../src/mcp/server/sqlite-message-log.js';

function record(overrides: Partial<SentMessageRecord> = {}): SentMessageRecord {
  return {
    messageId: 'wamid.1', idempotencyKey: 'run-1/notify', part: 0, parts: 1, requestHash: 'h1', provider: 'meta',
    recipient: '+5511900000041', textLength: 12, status: 'accepted', createdAt: 1000, updatedAt: 1000, ...overrides,
  };
}

const logs: Array<[string, () => SentMessageLog]> = [
  ['memory', () => new MemorySentMessageLog()],
  ['sqlite', () => new SqliteSentMessageLog(':memory:')],
];

describe.each(logs)('%s sent-message log', (_name, create) => {
  let log: SentMessageLog;
  afterEach(async () => log.close());

  it('finds what it recorded by idempotency key (parts in order) and by message id', async () => {
    log = create();
    await log.record(record({ messageId: 'wamid.2', part: 1, parts: 2 }));
    await log.record(record({ messageId: 'wamid.1', part: 0, parts: 2, instance: '100000000000001' }));
    expect((await log.findByIdempotencyKey('run-1/notify')).map((r) => r.messageId)).toEqual(['wamid.1', 'wamid.2']);
    expect(await log.findByMessageId('wamid.1')).toEqual(record({ messageId: 'wamid.1', part: 0, parts: 2, instance: '100000000000001' }));
    expect(await log.findByIdempotencyKey('other')).toEqual([]);
    expect(await log.findByMessageId('nope')).toBeUndefined();
  });

  it('keeps the first record when the same (key, part) is recorded twice', async () => {
    log = create();
    await log.record(record());
    await log.record(record({ messageId: 'wamid.duplicate' }));
    expect((await log.findByIdempotencyKey('run-1/notify')).map((r) => r.messageId)).toEqual(['wamid.1']);
    expect(await log.findByMessageId('wamid.duplicate')).toBeUndefined();
  });

  it('records messages without a key, keeps dry-run text, updates statuses and lists newest first', async () => {
    log = create();
    const { idempotencyKey: _omit, ...withoutKey } = record({ messageId: 'dryrun-1', provider: 'dry-run', text: 'Olá', status: 'dry_run' });
    await log.record(withoutKey);
    await log.record(record({ messageId: 'wamid.9', createdAt: 2000, updatedAt: 2000 }));
    expect(await log.updateStatus('wamid.9', 'delivered', 3000)).toBe(true);
    expect(await log.updateStatus('unknown', 'read', 3000)).toBe(false);
    expect((await log.list()).map((r) => [r.messageId, r.status])).toEqual([['wamid.9', 'delivered'], ['dryrun-1', 'dry_run']]);
    expect(await log.list({ provider: 'dry-run' })).toEqual([withoutKey]);
  });
});

describe('SqliteSentMessageLog file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zapflow-mcp-log-'));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('remembers sent keys across a restart (close and reopen)', async () => {
    const file = join(dir, 'nested', 'mcp-whatsapp.sqlite');
    const first = new SqliteSentMessageLog(file);
    await first.record(record());
    await first.close();
    const second = new SqliteSentMessageLog(file);
    expect((await second.findByIdempotencyKey('run-1/notify'))[0]?.messageId).toBe('wamid.1');
    await second.close();
  });
});
