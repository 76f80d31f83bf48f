/** Accounts, sessions, API tokens and the audit log on SQLite and on Postgres: one suite, both backends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeopleStore } from '../../../src/people/store.js';
import { postgresRunner, sqliteRunner } from '../../../src/people/sql.js';
import { digestSecret, hashPassword, verifyPassword } from '../../../src/people/secrets.js';
import { freshSchema, type TestSchema } from '../../helpers/postgres.js';

const backends: Array<[string, () => Promise<{ store: PeopleStore; cleanup(): Promise<void> }>]> = [
  ['sqlite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zapflow-people-'));
    const store = new PeopleStore(sqliteRunner({ dbFile: join(dir, 'zapflow.db'), prefix: 'zapflow_' }));
    return { store, cleanup: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); } };
  }],
  ['postgres', async () => {
    const schema: TestSchema = await freshSchema('people');
    const store = new PeopleStore(await postgresRunner({ dbUrl: schema.databaseUrl, prefix: 'zapflow_', schema: schema.schema }));
    return { store, cleanup: async () => { await store.close(); await schema.drop(); } };
  }],
];

describe.each(backends)('people store on %s', (_name, open) => {
  let store: PeopleStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ store, cleanup } = await open()));
  afterAll(async () => cleanup?.());

  it('keeps accounts with a scrypt hash that checks the right password only, and refuses a taken username', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    const ana = await store.addUser({ username: 'ana', displayName: 'Ana Souza', role: 'agent', phone: '5511987654321', passwordHash: hash });
    const found = await store.findByUsername('ana');
    expect(found?.user).toEqual(ana);
    expect(await verifyPassword('correct horse battery', found?.passwordHash)).toBe(true);
    expect(await verifyPassword('wrong horse battery', found?.passwordHash)).toBe(false);
    expect(await verifyPassword('anything', undefined)).toBe(false);
    await expect(store.addUser({ username: 'ana', displayName: 'Other', role: 'admin', passwordHash: hash })).rejects.toMatchObject({ code: 'USERNAME_TAKEN' });
    await expect(store.addUser({ username: 'Bad Name', displayName: 'x', role: 'agent', passwordHash: hash })).rejects.toMatchObject({ code: 'INVALID_ACCOUNT' });
  });

  it('finds a session by its digest until it expires or the user is disabled; API tokens stop with the account', async () => {
    const bia = await store.addUser({ username: 'bia', displayName: 'Bia', role: 'admin', passwordHash: await hashPassword('another password!') });
    await store.createSession({ idHash: digestSecret('session-1'), userId: bia.id, csrfToken: 'csrf-1', expiresAt: Date.now() + 60_000 });
    await store.createSession({ idHash: digestSecret('session-old'), userId: bia.id, csrfToken: 'csrf-2', expiresAt: Date.now() - 1 });
    expect((await store.sessionUser(digestSecret('session-1')))?.user.username).toBe('bia');
    expect(await store.sessionUser(digestSecret('session-old'))).toBeUndefined();
    expect(await store.purgeExpiredSessions()).toBe(1);
    await store.createApiToken('bia', 'ci', digestSecret('zfu_token'));
    expect((await store.userByApiToken(digestSecret('zfu_token')))?.role).toBe('admin');
    expect(await store.userByApiToken(digestSecret('zfu_other'))).toBeUndefined();
    await store.disable('bia');
    expect(await store.sessionUser(digestSecret('session-1'))).toBeUndefined();
    expect(await store.userByApiToken(digestSecret('zfu_token'))).toBeUndefined();
  });

  it('records who did what, newest first, and lists it per conversation', async () => {
    const actor = { kind: 'user' as const, userId: 'u1', username: 'ana', displayName: 'Ana Souza', role: 'agent' as const };
    await store.recordAudit(actor, 'claim', { conversationKey: 'meta:1:5511', detail: { reassign: false } });
    await store.recordAudit({ kind: 'token', name: 'ADMIN_TOKEN' }, 'rerun', { detail: { runId: 'run-1' } });
    const all = await store.listAudit({ limit: 10 });
    expect(all.map((e) => [e.actorLabel, e.action, e.conversationKey])).toEqual([['ADMIN_TOKEN', 'rerun', undefined], ['ana', 'claim', 'meta:1:5511']]);
    expect(all.map((e) => e.detail)).toEqual([{ runId: 'run-1' }, { reassign: false }]);
    expect((await store.listAudit({ limit: 10, conversationKey: 'meta:1:5511' })).map((e) => e.action)).toEqual(['claim']);
  });
});
