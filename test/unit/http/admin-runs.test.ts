import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTestServer, NOW, TYPIFICATION_STEPS, WORKFLOW_IDS, runRecord, startAdminServer } from './admin-server.js';

const KEY_A = 'meta:100000000000002:5511987654321';
const KEY_B = 'evolution:atendimento:5521999998888';

describe('admin runs and workflows', () => {
  let server: AdminTestServer;
  beforeAll(async () => {
    server = await startAdminServer();
    // 12 runs: 8 of conversation A (typification), 4 of B (handoff, 2 of them errors), one per minute.
    for (let i = 0; i < 12; i += 1) {
      const a = i < 8;
      await server.storage.createRun(runRecord(`run-${String(i).padStart(2, '0')}`, {
        workflowName: a ? 'conversation-typification' : 'human-handoff',
        sessionId: a ? KEY_A : KEY_B,
        status: !a && i % 2 === 0 ? 'error' : 'completed',
        createdAt: NOW - (12 - i) * 60_000,
      }));
    }
    await server.storage.commitStep({
      step: {
        runId: 'run-07', stepPath: 'classify_business_unit', stepName: 'classify_business_unit', stepType: 'step', status: 'completed',
        output: { content: { id: 'financeiro' }, success: true }, stateDelta: null, attempts: 1, startedAt: NOW - 5000, finishedAt: NOW - 4000,
      },
      events: [{ runId: 'run-07', seq: 0, type: 'StepCompleted', stepPath: 'classify_business_unit', time: NOW - 4000 }],
    });
    await server.storage.saveSession(KEY_A, { contacts: 3, protocolNumbers: ['20250520-000001'] }, 0, NOW);
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists runs newest first, paged, with the total', async () => {
    const first = await server.call('GET', '/admin/runs?limit=5');
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ total: 12, limit: 5, offset: 0 });
    const ids = (first.json.runs as Array<{ runId: string }>).map((r) => r.runId);
    expect(ids).toEqual(['run-11', 'run-10', 'run-09', 'run-08', 'run-07']);

    const last = await server.call('GET', '/admin/runs?limit=5&offset=10');
    expect((last.json.runs as Array<{ runId: string }>).map((r) => r.runId)).toEqual(['run-01', 'run-00']);
    expect(last.json.total).toBe(12);
  });

  it('filters by status, workflow and conversation (URL-encoded key)', async () => {
    const errors = await server.call('GET', '/admin/runs?status=error&workflow=human-handoff');
    expect(errors.json.total).toBe(2);
    expect((errors.json.runs as Array<{ status: string }>).every((r) => r.status === 'error')).toBe(true);

    const ofA = await server.call('GET', `/admin/runs?conversation=${encodeURIComponent(KEY_A)}&limit=100`);
    expect(ofA.json.total).toBe(8);
    expect((ofA.json.runs as Array<{ sessionId: string }>).every((r) => r.sessionId === KEY_A)).toBe(true);
  });

  it('refuses bad filters with 400 listing each problem', async () => {
    const response = await server.call('GET', '/admin/runs?status=finished&limit=0&workflowId=x');
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('INVALID_REQUEST');
    const paths = (response.json.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['status', 'limit']));
    expect(JSON.stringify(response.json.issues)).toContain('workflowId');

    const tooMany = await server.call('GET', '/admin/runs?limit=5000');
    expect(tooMany.status).toBe(400);
    const twice = await server.call('GET', '/admin/runs?status=error&status=completed');
    expect(twice.status).toBe(400);
  });

  it('shows one run with its steps, events and the conversation state', async () => {
    const response = await server.call('GET', '/admin/runs/run-07');
    expect(response.status).toBe(200);
    expect(response.json.run).toMatchObject({ runId: 'run-07', workflowName: 'conversation-typification', sessionId: KEY_A });
    expect(response.json.steps).toEqual([expect.objectContaining({ stepPath: 'classify_business_unit', status: 'completed' })]);
    expect(response.json.events).toEqual([expect.objectContaining({ type: 'StepCompleted', seq: 0 })]);
    expect(response.json.session).toMatchObject({ version: 1, state: { contacts: 3, protocolNumbers: ['20250520-000001'] } });

    const noSession = await server.call('GET', '/admin/runs/run-11');
    expect(noSession.json.session).toBeNull();
  });

  it('answers 400, not 500, for a run id with a malformed percent-escape', async () => {
    for (const path of ['/admin/runs/%E0%A4%A', '/admin/runs/%zz/rerun']) {
      const response = await server.call(path.endsWith('rerun') ? 'POST' : 'GET', path, path.endsWith('rerun') ? { body: {} } : {});
      expect(response, path).toMatchObject({ status: 400, json: { code: 'BAD_PATH' } });
    }
  });

  it('answers 404 for an unknown run', async () => {
    const response = await server.call('GET', '/admin/runs/nope');
    expect(response).toMatchObject({ status: 404, json: { code: 'RUN_NOT_FOUND' } });
    expect(response.json.error).toContain('"nope"');
  });

  it('reruns a run (the rerun webhook): 202 with the new run id, from a step or from the start', async () => {
    const fromStep = await server.call('POST', '/admin/runs/run-07/rerun', { body: { fromStep: 'classify_motive' } });
    expect(fromStep.status).toBe(202);
    expect(fromStep.json).toMatchObject({ runId: expect.stringMatching(/^run-rerun-/), parentRunId: 'run-07' });
    expect(fromStep.headers.get('location')).toBe(`/admin/runs/${fromStep.json.runId as string}`);

    // No body at all: a plain "rerun this" from an admin's tool.
    const whole = await server.call('POST', '/admin/runs/run-06/rerun');
    expect(whole.status).toBe(202);
    expect(server.workflows.reruns).toEqual([{ runId: 'run-07', fromStep: 'classify_motive' }, { runId: 'run-06' }]);
  });

  it('answers 400 naming the valid steps when fromStep is unknown', async () => {
    const response = await server.call('POST', '/admin/runs/run-07/rerun', { body: { fromStep: 'classify_everything' } });
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('UNKNOWN_STEP');
    expect(response.json.validSteps).toEqual(TYPIFICATION_STEPS);
    for (const step of TYPIFICATION_STEPS) expect(response.json.error).toContain(step);
  });

  it('answers 404 when rerunning an unknown run, and 400 for a bad body', async () => {
    const before = server.workflows.reruns.length;
    expect((await server.call('POST', '/admin/runs/nope/rerun', { body: {} })).status).toBe(404);
    const bad = await server.call('POST', '/admin/runs/run-07/rerun', { body: { fromStep: 42 } });
    expect(bad).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST', issues: [{ path: 'fromStep' }] } });
    const broken = await server.call('POST', '/admin/runs/run-07/rerun', { rawBody: '{"fromStep":' });
    expect(broken).toMatchObject({ status: 400, json: { code: 'INVALID_JSON' } });
    expect(server.workflows.reruns.length).toBe(before);
  });

  it('starts a workflow run for a conversation: 202 with the run id', async () => {
    const response = await server.call('POST', '/admin/workflows/conversation-typification/run', { body: { conversationKey: KEY_B, message: 'meu cartão foi clonado' } });
    expect(response.status).toBe(202);
    expect(response.json.runId).toMatch(/^run-started-/);
    expect(server.workflows.started).toEqual([{ workflowId: 'conversation-typification', conversationKey: KEY_B, message: 'meu cartão foi clonado' }]);
  });

  it('answers 404 listing the known workflows for an unknown id', async () => {
    const response = await server.call('POST', '/admin/workflows/typify/run', { body: { conversationKey: KEY_B, message: 'oi' } });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ code: 'WORKFLOW_NOT_FOUND', knownWorkflows: WORKFLOW_IDS });
    for (const id of WORKFLOW_IDS) expect(response.json.error).toContain(id);
  });

  it('answers 400 for a missing or invalid start body, listing each field', async () => {
    const empty = await server.call('POST', '/admin/workflows/human-handoff/run', { body: { message: '   ' } });
    expect(empty.status).toBe(400);
    expect((empty.json.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual(['conversationKey', 'message']);
    const none = await server.call('POST', '/admin/workflows/human-handoff/run');
    expect(none).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect(none.json.error).toContain('application/json');
  });

  it('answers 413 for a body over the limit', async () => {
    const response = await server.call('POST', '/admin/workflows/human-handoff/run', { body: { conversationKey: KEY_B, message: 'x'.repeat(40_000) } });
    expect(response).toMatchObject({ status: 413, json: { code: 'BODY_TOO_LARGE' } });
  });
});

describe('admin errors from below', () => {
  it('answers 500 with a generic message when a port fails unexpectedly, without leaking its message', async () => {
    const server = await startAdminServer();
    try {
      server.workflows.start = async () => {
        throw new Error('connection to 10.0.0.5 refused for 5511987654321');
      };
      const response = await server.call('POST', '/admin/workflows/human-handoff/run', { body: { conversationKey: KEY_A, message: 'oi' } });
      expect(response.status).toBe(500);
      expect(response.json.code).toBe('INTERNAL');
      expect(JSON.stringify(response.json)).not.toContain('5511987654321');
    } finally {
      await server.close();
    }
  });
});
