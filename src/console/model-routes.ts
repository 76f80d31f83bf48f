/**
 * /console/models (admins only; the router gates it): the page, the job region it polls, and the three
 * POSTs of the learning loop — train, evaluate, promote (after a confirmation page). The session's CSRF
 * token is checked by the router for every POST; the lab writes the audit entries.
 */
import { Router, type Request, type Response } from 'express';
import type { Html } from './html.js';
import { BUILTIN, ModelJobBusyError, PromotionConflictError, UnknownModelVersionError, type ModelLab } from './model-lab.js';
import { messagePage } from './pages/admin.js';
import { fill } from './i18n.js';
import { link } from './pages/layout.js';
import { modelJob, modelsPage, promotePage } from './pages/models.js';
import { contextOf } from './session.js';

export interface ModelRoutesDeps {
  lab: ModelLab;
  /** The processing side follows promotions without a restart (the embedded model); false with Claude. */
  livePromotion: boolean;
}

const sendPage = (res: Response, page: Html, status = 200) => res.status(status).type('html').send(page.value);
const field = (req: Request, name: string): string => (typeof req.body?.[name] === 'string' ? String(req.body[name]) : '');

export function modelRoutes({ lab, livePromotion }: ModelRoutesDeps): Router {
  const router = Router();

  /** The page, with a notice (a refusal keeps the admin on the page, with its status code). */
  const showPage = async (res: Response, notice?: { text: string; kind: 'ok' | 'error' }, status = 200) =>
    sendPage(res, modelsPage(contextOf(res), await lab.overview(), lab.job(), { livePromotion, ...(notice ? { notice } : {}) }), status);

  /** Known refusals become the page with a notice; anything else goes to the console's error handler. */
  const refusal = (res: Response, error: unknown) => {
    const m = contextOf(res).t.models;
    if (error instanceof ModelJobBusyError) return showPage(res, { text: m.busy, kind: 'error' }, 409);
    if (error instanceof PromotionConflictError) return showPage(res, { text: m.conflict, kind: 'error' }, 409);
    if (error instanceof UnknownModelVersionError) return showPage(res, { text: m.unknown, kind: 'error' }, 404);
    throw error;
  };

  router.get('/console/models', async (req, res) => {
    const promoted = typeof req.query.promoted === 'string' && /^[0-9a-f]{16}$/.test(req.query.promoted) ? req.query.promoted : undefined;
    await showPage(res, promoted ? { text: fill(contextOf(res).t.models.promoted, { version: promoted }), kind: 'ok' } : undefined);
  });

  router.get('/console/models/job', (_req, res) => sendPage(res, modelJob(contextOf(res), lab.job())));

  router.post('/console/models/train', async (_req, res) => {
    try {
      await lab.startTraining(contextOf(res).actor!);
    } catch (error) {
      return refusal(res, error);
    }
    res.redirect(303, link(contextOf(res), '/console/models'));
  });

  router.post('/console/models/evaluate', async (req, res) => {
    try {
      lab.startEvaluation(contextOf(res).actor!, field(req, 'candidate'), field(req, 'file'));
    } catch (error) {
      return refusal(res, error);
    }
    res.redirect(303, link(contextOf(res), '/console/models'));
  });

  router.get('/console/models/promote', async (req, res) => {
    const ctx = contextOf(res);
    const version = typeof req.query.version === 'string' ? req.query.version : '';
    const overview = await lab.overview();
    const facts = overview.versions.find((v) => v.version === version);
    if (!facts) return sendPage(res, messagePage(ctx, '404', ctx.t.models.unknown), 404);
    sendPage(res, promotePage(ctx, version, overview.active?.version ?? BUILTIN, facts));
  });

  router.post('/console/models/promote', async (req, res) => {
    const version = field(req, 'version');
    try {
      await lab.promote(contextOf(res).actor!, version, field(req, 'from'));
    } catch (error) {
      return refusal(res, error);
    }
    res.redirect(303, link(contextOf(res), `/console/models?promoted=${version}`));
  });

  return router;
}

