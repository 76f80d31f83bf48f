/**
 * Runs and workflows:
 *
 *   GET  /admin/runs?status=&workflow=&conversation=&limit=&offset=   newest first, with the total
 *   GET  /admin/runs/:id                                              the run, its steps, events, session state
 *   POST /admin/runs/:id/rerun { fromStep? }                          202 { runId } — the rerun webhook
 *   POST /admin/workflows/:id/run { conversationKey, message }        202 { runId }
 *
 * Runs are shown as stored: this is the operators' debugging view of the engine (session state included).
 */
import type { Router } from 'express';
import { RunNotFoundError } from '../../engine/index.js';
import { HttpError } from '../errors.js';
import type { AgentActions } from '../../service/agent-actions.js';
import { actorOf } from './actor.js';
import type { AdminPorts } from './ports.js';
import { withIsoTimestamps } from './timestamps.js';
import { ListRunsQuery, RerunBody, StartRunBody, parseInput } from './schemas.js';

export function mountRunRoutes(router: Router, ports: AdminPorts & { actions: AgentActions }): void {
  const { storage, workflows } = ports;

  router.get('/admin/runs', async (req, res) => {
    const query = parseInput(ListRunsQuery, req.query, 'query');
    const { runs, total } = await storage.listRuns({
      ...(query.status ? { status: query.status } : {}),
      ...(query.workflow ? { workflowName: query.workflow } : {}),
      ...(query.conversation ? { sessionId: query.conversation } : {}),
      limit: query.limit,
      offset: query.offset,
    });
    res.json(withIsoTimestamps({ runs, total, limit: query.limit, offset: query.offset }));
  });

  router.get('/admin/runs/:id', async (req, res) => {
    const runId = req.params.id;
    const run = await storage.getRun(runId);
    if (!run) throw new RunNotFoundError(runId);
    const [steps, events, session] = await Promise.all([
      storage.getStepResults(runId),
      storage.getEvents(runId),
      storage.getSession(run.sessionId),
    ]);
    res.json(withIsoTimestamps({
      run,
      steps,
      events,
      // The conversation's state now (later runs of the session may have changed it since this run).
      session: session ? { state: session.state, version: session.version, updatedAt: session.updatedAt } : null,
    }));
  });

  router.post('/admin/runs/:id/rerun', async (req, res) => {
    const runId = req.params.id;
    // A rerun without options may come with no body at all.
    const body = parseInput(RerunBody, req.body ?? {}, 'body');
    if (!(await storage.getRun(runId))) throw new RunNotFoundError(runId);
    const started = await workflows.rerun(runId, body.fromStep === undefined ? {} : { fromStep: body.fromStep });
    // The rerun joins its case (nothing the customer was told goes away) and the audit log.
    await ports.actions.rerunStarted(actorOf(res), runId, started.runId, body.fromStep);
    res.location(`/admin/runs/${encodeURIComponent(started.runId)}`);
    res.status(202).json({ runId: started.runId, parentRunId: runId });
  });

  router.post('/admin/workflows/:id/run', async (req, res) => {
    const workflowId = req.params.id;
    const known = workflows.ids();
    if (!known.includes(workflowId)) {
      throw new HttpError(
        404,
        'WORKFLOW_NOT_FOUND',
        `No workflow "${workflowId}". Known workflows: ${known.map((id) => `"${id}"`).join(', ') || 'none'}.`,
        { knownWorkflows: known },
      );
    }
    const body = parseInput(StartRunBody, req.body, 'body');
    const started = await workflows.start(workflowId, { conversationKey: body.conversationKey, message: body.message });
    res.location(`/admin/runs/${encodeURIComponent(started.runId)}`);
    res.status(202).json({ runId: started.runId });
  });
}
