/**
 * `zapflow agents …` from the command line, and per-user API tokens on the admin API: an admin's token
 * works like ADMIN_TOKEN, an agent's token reaches conversations but not runs or the outbox.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestSecret, hashPassword, newSecret, openPeopleStore, verifyPassword } from '../../src/people/index.js';
import { loadConfig } from '../../src/config.js';
import { SqliteStorage } from '../../src/engine/index.js';
import { startService, type TestService } from '../helpers/service.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/zapflow.mjs', import.meta.url).pathname;

describe('zapflow agents', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'zapflow-agents-'));
  const env = { ...process.env, ZAPFLOW_DATA_DIR: dataDir, DATABASE_URL: '', LOG_LEVEL: 'silent' };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('adds an admin with a generated password shown once and an agent from stdin, disables, lists, and creates an API token', async () => {
    const admin = await run(process.execPath, [BIN, 'agents', 'add', '--username', 'rita', '--name', 'Rita Admin', '--role', 'admin'], { env });
    const password = /password \(shown once\): (\S+)/.exec(admin.stdout)?.[1];
    expect(password).toMatch(/^[\w-]{20}$/);

    const child = execFile(process.execPath, [BIN, 'agents', 'add', '--username', 'ana', '--name', 'Ana Souza', '--phone', '5511987654321', '--password-stdin'], { env });
    child.stdin?.end('a long enough password\n');
    const exit = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(exit).toBe(0);

    // The first admin comes before the first start: the service must still accept that database.
    const engineStorage = new SqliteStorage({ dbFile: join(dataDir, 'zapflow.db') });
    await engineStorage.init();
    await engineStorage.close();
    const people = await openPeopleStore(loadConfig({ ZAPFLOW_DATA_DIR: dataDir }));
    try {
      expect(await verifyPassword(password!, (await people.findByUsername('rita'))?.passwordHash)).toBe(true);
      expect(await verifyPassword('a long enough password', (await people.findByUsername('ana'))?.passwordHash)).toBe(true);
    } finally {
      await people.close();
    }

    await run(process.execPath, [BIN, 'agents', 'disable', 'ana'], { env });
    const list = await run(process.execPath, [BIN, 'agents', 'list'], { env });
    expect(list.stdout).toBe('ana\tagent\tdisabled\tAna Souza\nrita\tadmin\tactive\tRita Admin\n');

    const token = await run(process.execPath, [BIN, 'agents', 'token', 'create', 'rita'], { env });
    expect(token.stdout).toMatch(/^token for rita \(shown once\): zfu_[\w-]{43}\n$/);
  }, 150_000);
});

describe('admin API with per-user tokens', () => {
  let service: TestService;
  const tokens = { admin: newSecret('zfu_'), agent: newSecret('zfu_') };
  beforeAll(async () => {
    service = await startService();
    const people = service.app.people;
    await people.addUser({ username: 'rita', displayName: 'Rita', role: 'admin', passwordHash: await hashPassword('rita-password-1') });
    await people.addUser({ username: 'ana', displayName: 'Ana', role: 'agent', passwordHash: await hashPassword('ana-password-12') });
    await people.createApiToken('rita', 'ci', digestSecret(tokens.admin));
    await people.createApiToken('ana', 'laptop', digestSecret(tokens.agent));
  });
  afterAll(async () => service?.stop());

  const get = (path: string, token: string) => fetch(`${service.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('lets an admin token list runs and the outbox, an agent token only conversations, and refuses unknown tokens', async () => {
    expect((await get('/admin/runs', tokens.admin)).status).toBe(200);
    expect((await get('/admin/outbox?status=dead', tokens.admin)).status).toBe(200);
    const agentRuns = await get('/admin/runs', tokens.agent);
    expect(agentRuns.status).toBe(403);
    expect(await agentRuns.json()).toMatchObject({ code: 'ADMIN_ONLY' });
    expect((await get('/admin/conversations/meta%3A1%3A5511999999999', tokens.agent)).status).toBe(404);
    expect((await get('/admin/runs', newSecret('zfu_'))).status).toBe(403);
    expect((await get('/admin/runs', 'admin-token-for-tests-0123')).status).toBe(200);
  });
});
