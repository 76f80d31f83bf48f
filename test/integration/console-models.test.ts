/**
 * The console's Models routes over plain HTTP: only admins reach them (an agent gets 403 on the page and on
 * every action), every POST needs the session's CSRF token, a promotion decided on a stale page is refused,
 * and what an admin does lands in the audit log. And `zapflow serve`'s processing thread follows a
 * promotion from the next turn, with no restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotedEmbeddedModel } from '../../src/agents/embedded/index.js';
import { activeModel, promoteModelVersion } from '../../src/agents/embedded/model-versions.js';
import { runTrain } from '../../src/cli/commands/train.js';
import { hashPassword } from '../../src/people/index.js';
import { defaultTaxonomy } from '../../src/taxonomy/index.js';
import { signIn, type ConsoleSession as Session } from '../helpers/console-session.js';
import { startService, type TestService } from '../helpers/service.js';
import { embeddedModel } from '../helpers/workflow-deps.js';

/** A signed-in console user over fetch: its cookies and the CSRF token of its session. */
describe('console Models routes', () => {
  const modelDir = mkdtempSync(join(tmpdir(), 'zapflow-models-routes-'));
  let service: TestService;
  let admin: Session;
  let agent: Session;

  const get = (session: Session, path: string) => fetch(`${service.url}${path}`, { headers: { cookie: session.cookie }, redirect: 'manual' });
  const post = (session: Session, path: string, form: Record<string, string>) => fetch(`${service.url}${path}`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  /** Polls the job region until the job is no longer running; returns its HTML. */
  const jobDone = async (session: Session): Promise<string> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const region = await (await get(session, '/console/models/job?lang=en')).text();
      if (!region.includes('aria-busy="true"')) return region;
      if (Date.now() > deadline) throw new Error(`the model job never finished: ${region}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  beforeAll(async () => {
    const model = new PromotedEmbeddedModel({ dir: modelDir, taxonomy: defaultTaxonomy(), bundled: embeddedModel });
    service = await startService({ ZAPFLOW_MODEL_DIR: modelDir }, { model });
    await service.app.people.addUser({ username: 'rita', displayName: 'Rita Admin', role: 'admin', passwordHash: await hashPassword('rita-password-0123') });
    await service.app.people.addUser({ username: 'ana', displayName: 'Ana Souza', role: 'agent', passwordHash: await hashPassword('ana-password-0123') });
    admin = await signIn(service.url, 'rita', 'rita-password-0123');
    agent = await signIn(service.url, 'ana', 'ana-password-0123');
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('refuses agents (403) on the page and every action, and admins without the CSRF token (403); nothing is trained or promoted', async () => {
    for (const path of ['/console/models', '/console/models/job', '/console/models/promote?version=0123456789abcdef']) {
      expect((await get(agent, path)).status, `GET ${path} as an agent`).toBe(403);
    }
    for (const path of ['/console/models/train', '/console/models/evaluate', '/console/models/promote']) {
      expect((await post(agent, path, { _csrf: agent.csrf, version: '0123456789abcdef', from: 'builtin' })).status, `POST ${path} as an agent`).toBe(403);
      expect((await post(admin, path, { version: '0123456789abcdef', from: 'builtin' })).status, `POST ${path} without CSRF`).toBe(403);
    }
    const page = await (await get(admin, '/console/models?lang=en')).text();
    expect(page).toContain('No trained version yet.');
    expect(page).toContain('No version promoted: the bundled model answers.');
    expect(activeModel(modelDir)).toBeUndefined();
    const actions = (await service.app.people.listAudit({ limit: 100 })).map((e) => e.action);
    expect(actions.filter((a) => a.startsWith('model_'))).toEqual([]);
  });

  it('lets an admin train, refuses a promotion decided on a stale page (409), then promotes, audited with who and from → to', async () => {
    const started = await post(admin, '/console/models/train?lang=en', { _csrf: admin.csrf });
    expect(started.status).toBe(303);
    const trained = await jobDone(admin);
    const version = /Version ([0-9a-f]{16}) trained/.exec(trained)?.[1];
    expect(version, trained).toBeDefined();

    const stale = await post(admin, '/console/models/promote?lang=en', { _csrf: admin.csrf, version: version!, from: '0123456789abcdef' });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('The version in use changed since this page was opened');
    expect(activeModel(modelDir)).toBeUndefined();
    const unknown = await post(admin, '/console/models/promote?lang=en', { _csrf: admin.csrf, version: 'fedcba9876543210', from: 'builtin' });
    expect(unknown.status).toBe(404);

    const promoted = await post(admin, '/console/models/promote', { _csrf: admin.csrf, version: version!, from: 'builtin' });
    expect(promoted.status).toBe(303);
    expect(activeModel(modelDir)).toMatchObject({ version, promotedBy: 'rita' });
    const page = await (await get(admin, '/console/models?lang=en')).text();
    expect(page).toContain(`Version ${version}, promoted by rita`);
    const audit = (await service.app.people.listAudit({ limit: 100 })).filter((e) => e.action.startsWith('model_'));
    expect(audit.map((e) => `${e.actorLabel}:${e.action}`).sort()).toEqual(['rita:model_promote', 'rita:model_train']);
    expect(audit.find((e) => e.action === 'model_promote')?.detail).toEqual({ from: 'builtin', to: version });
  }, 90_000);
});

describe('the processing thread of zapflow serve', () => {
  const modelDir = mkdtempSync(join(tmpdir(), 'zapflow-models-thread-'));
  let service: TestService;
  beforeAll(async () => {
    service = await startService({ ZAPFLOW_MODEL_DIR: modelDir }, { processing: 'thread' });
  });
  afterAll(async () => {
    await service?.stop();
    rmSync(modelDir, { recursive: true, force: true });
  });

  /** The model id of the conversation's newest finished typification run, once there are `count` of them. */
  const typifiedBy = async (conversationKey: string, count: number): Promise<string | undefined> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { runs } = await service.app.storage.listRuns({ sessionId: conversationKey, workflowName: 'conversation-typification', limit: 50, offset: 0 });
      const finished = runs.filter((r) => r.status !== 'running' && r.status !== 'pending').sort((a, b) => b.createdAt - a.createdAt);
      if (finished.length >= count) {
        const steps = await service.app.storage.getStepResults(finished[0]!.runId);
        return (steps.find((s) => s.stepName === 'business_unit_classification')?.output as { content?: { modelId?: string } } | undefined)?.content?.modelId;
      }
      if (Date.now() > deadline) throw new Error(`no typification run number ${count} for ${conversationKey}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('typifies the next turn with a version promoted while it runs (here from the CLI), without a restart', async () => {
    const customer = '5511987650201';
    expect((await service.post(service.meta(customer, 'minha maquininha nao liga de jeito nenhum'))).status).toBe(200);
    const conversationKey = await (async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const found = (await service.app.serviceStore.listConversations({ limit: 100 })).find((c) => c.customer === customer);
        if (found) return found.conversationKey;
        if (Date.now() > deadline) throw new Error('the conversation was never stored');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    expect(await typifiedBy(conversationKey, 1)).toMatch(/^zapflow-embedded-1@builtin-/);

    const { version } = runTrain({ dir: modelDir, taxonomy: defaultTaxonomy() });
    promoteModelVersion(version, defaultTaxonomy(), { dir: modelDir, by: 'cli' });
    expect((await service.post(service.meta(customer, 'ja tentei carregar e continua sem ligar'))).status).toBe(200);
    expect(await typifiedBy(conversationKey, 2)).toBe(`zapflow-embedded-1@${version}`);
  }, 120_000);
});
