/**
 * The console at /console: server-rendered pages (escaped templates), htmx + its SSE extension served
 * from our origin under a strict Content-Security-Policy (no inline script, no eval), a session cookie
 * with CSRF tokens, and live updates of the queue and of an open conversation over SSE.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { ConversationNotFoundError, type ServiceStore } from '../conversations/store/types.js';
import type { Storage } from '../engine/index.js';
import { defaultModelDir } from '../agents/embedded/model-versions.js';
import type { AdminWorkflowsPort } from '../http/admin/ports.js';
import { REPLY_ID } from '../http/admin/schemas.js';
import type { Logger } from '../logging.js';
import { actorOf, verifyPassword, type PeopleStore } from '../people/index.js';
import type { Taxonomy } from '../taxonomy/index.js';
import { readConversationState } from '../workflows/session-state.js';
import type { ConsoleCases } from './cases.js';
import { serializeCookie } from './cookies.js';
import type { Html } from './html.js';
import type { Messages } from './i18n.js';
import type { LiveEvent, LiveUpdates } from './live.js';
import { agentsPage, auditPage, messagePage, outboxPage, runPage, runsPage } from './pages/admin.js';
import { ModelLab } from './model-lab.js';
import { modelRoutes } from './model-routes.js';
import { conversationPage, threadList, type ConversationPageData } from './pages/conversation.js';
import { link, type LayoutOptions } from './pages/layout.js';
import { loginPage } from './pages/login.js';
import { queuePage, queueTable, type QueueTab } from './pages/queue.js';
import { searchPage } from './pages/search.js';
import {
  contextOf, endSession, isSecure, LOGIN_CSRF_COOKIE, loadSession, requireAdmin, requireCsrf, requireUser, startSession,
  type PageContext, type SessionOptions,
} from './session.js';
import { LoginThrottle } from './throttle.js';
import { randomBytes } from 'node:crypto';

export interface ConsoleDeps {
  people: PeopleStore;
  cases: ConsoleCases;
  live: LiveUpdates;
  storage: Storage;
  serviceStore: ServiceStore;
  workflows: AdminWorkflowsPort;
  kickOutbox: () => void;
  taxonomy: Taxonomy;
  /** How long a sign-in lasts. @default 12 */
  sessionHours?: number;
  /** Secure cookies whatever the request (PUBLIC_URL is https). @default false */
  secureCookies?: boolean;
  logger: Logger;
  /** The Models page: where versions live, and whether the processing side follows promotions live. */
  models?: { dir: string; livePromotion: boolean };
  throttle?: LoginThrottle;
  now?: () => number;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

const assetDir = dirname(createRequire(import.meta.url).resolve('htmx.org'));
const ASSETS: Record<string, { file: string; type: string }> = {
  'htmx.min.js': { file: join(assetDir, 'htmx.min.js'), type: 'text/javascript' },
  'hx-sse.min.js': { file: join(assetDir, 'ext', 'hx-sse.min.js'), type: 'text/javascript' },
  'console.css': { file: new URL('./assets/console.css', import.meta.url).pathname, type: 'text/css' },
};

/** Refusals of agent actions, by the stable code of the error (whichever side throws it). */
const REFUSALS: Readonly<Record<string, number>> = {
  CONVERSATION_CLAIMED: 409, INVALID_HANDOFF_TRANSITION: 409, FORBIDDEN_ACTION: 403, INVALID_TYPIFICATION: 400, NO_OPEN_CASE: 409,
};

const DONE_NOTICES = ['claimed', 'sent', 'released', 'resolved', 'corrected', 'retried', 'rerunStarted'] as const;
type Done = (typeof DONE_NOTICES)[number];

function noticeOf(req: Request, t: Messages): LayoutOptions['notice'] {
  const done = req.query.done;
  return typeof done === 'string' && (DONE_NOTICES as readonly string[]).includes(done) ? { text: t[done as Done], kind: 'ok' } : undefined;
}

/** The conversation page lists this many of the conversation's earlier cases (protocol, final typification). */
const EARLIER_CASES_SHOWN = 10;

const sendPage = (res: Response, page: Html, status = 200) => res.status(status).type('html').send(page.value);
const param = (req: Request, name: string): string => String(req.params[name] ?? '');

export function createConsoleRouter(deps: ConsoleDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const throttle = deps.throttle ?? new LoginThrottle();
  const sessions: SessionOptions = { people: deps.people, sessionHours: deps.sessionHours ?? 12, alwaysSecure: deps.secureCookies ?? false };
  const forbidden = (_req: Request, res: Response) => sendPage(res, messagePage(contextOf(res), '403', contextOf(res).t.forbidden), 403);
  const csrfRefused = (_req: Request, res: Response) => sendPage(res, messagePage(contextOf(res), '403', contextOf(res).t.csrf), 403);
  const audit = (res: Response, action: string, about: { conversationKey?: string; detail?: Record<string, unknown> } = {}) =>
    deps.people.recordAudit(contextOf(res).actor!, action, about);
  const holders = async () => new Map((await deps.people.listUsers()).map((u) => [u.id, u.displayName]));

  router.use('/console', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/console/assets/:name', (req, res) => {
    const asset = ASSETS[param(req, 'name')];
    if (!asset) return void res.status(404).end();
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type(asset.type).send(readFileSync(asset.file));
  });

  router.use('/console', express.urlencoded({ extended: false, limit: '32kb' }));
  router.use('/console', loadSession(sessions));

  // --- sign in / out ---------------------------------------------------------------------------------
  const showLogin = (req: Request, res: Response, extra: { status?: number; error?: string; username?: string } = {}) => {
    const ctx = contextOf(res);
    // Login CSRF: a double-submit token (cookie + field), since there is no session yet.
    const csrf = randomBytes(24).toString('base64url');
    res.append('Set-Cookie', serializeCookie(LOGIN_CSRF_COOKIE, csrf, { secure: isSecure(req, sessions), maxAgeSeconds: 3600 }));
    const next = typeof req.body?.next === 'string' ? req.body.next : typeof req.query.next === 'string' ? req.query.next : '/console/queue';
    sendPage(res, loginPage(ctx, { csrf, next, ...(extra.error ? { error: extra.error } : {}), ...(extra.username ? { username: extra.username } : {}) }), extra.status ?? 200);
  };

  router.get('/console', (_req, res) => res.redirect(303, link(contextOf(res), '/console/queue')));
  router.get('/console/login', (req, res) => {
    if (contextOf(res).user) return void res.redirect(303, link(contextOf(res), '/console/queue'));
    showLogin(req, res);
  });

  router.post('/console/login', async (req, res) => {
    const ctx = contextOf(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const cookieToken = ctx.cookies[LOGIN_CSRF_COOKIE];
    if (typeof body._csrf !== 'string' || !cookieToken || body._csrf !== cookieToken) return csrfRefused(req, res);
    const username = typeof body.username === 'string' ? body.username.trim().toLowerCase() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const ip = req.socket.remoteAddress ?? 'unknown';
    const wait = throttle.retryAfterSeconds(username, ip);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return showLogin(req, res, { status: 429, error: ctx.t.throttled, username });
    }
    const found = username ? await deps.people.findByUsername(username) : undefined;
    const valid = await verifyPassword(password, found?.passwordHash);
    if (!found || !valid || found.user.disabledAt) {
      throttle.failed(username, ip);
      deps.logger.warn({ code: 'CONSOLE_LOGIN_FAILED' }, 'console sign-in refused');
      return showLogin(req, res, { status: 401, error: ctx.t.badLogin, username });
    }
    throttle.succeeded(username, ip);
    await startSession(res, req, found.user, sessions);
    await deps.people.recordAudit(actorOf(found.user), 'sign_in');
    const next = typeof body.next === 'string' && body.next.startsWith('/console/') && !body.next.startsWith('//') ? body.next : '/console/queue';
    res.redirect(303, next);
  });

  router.use('/console', requireUser);
  router.use('/console', requireCsrf(csrfRefused));

  router.post('/console/logout', async (req, res) => {
    await audit(res, 'sign_out');
    await endSession(res, req, sessions);
    res.redirect(303, '/console/login');
  });

  // --- live updates ----------------------------------------------------------------------------------
  const stream = (req: Request, res: Response, render: () => Promise<Html>, wanted: (event: LiveEvent) => boolean) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    let sending = false;
    let again = false;
    const send = async (): Promise<void> => {
      if (sending) return void (again = true);
      sending = true;
      try {
        const body = (await render()).value;
        if (!res.writableEnded) res.write(`${body.split('\n').map((line) => `data: ${line}`).join('\n')}\n\n`);
      } catch (error) {
        deps.logger.warn({ err: error }, 'console live update failed');
      } finally {
        sending = false;
      }
      if (again) {
        again = false;
        await send();
      }
    };
    const unsubscribe = deps.live.subscribe((event) => {
      if (wanted(event)) void send();
    });
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 20_000);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
    void send();
  };

  // --- queue and search --------------------------------------------------------------------------------
  const tabOf = (req: Request): QueueTab => (req.query.tab === 'mine' ? 'mine' : 'all');
  const renderQueue = async (ctx: PageContext, tab: QueueTab) =>
    queueTable(ctx, await deps.cases.queue(tab === 'mine' && ctx.actor ? { mine: ctx.actor } : {}), await holders(), now());

  router.get('/console/queue', async (req, res) => {
    const ctx = contextOf(res);
    sendPage(res, queuePage(ctx, tabOf(req), await renderQueue(ctx, tabOf(req))));
  });
  router.get('/console/queue/stream', (req, res) => {
    const ctx = contextOf(res);
    const tab = tabOf(req);
    stream(req, res, () => renderQueue(ctx, tab), (event) => event.type === 'queue');
  });

  router.get('/console/search', async (req, res) => {
    const query = typeof req.query.query === 'string' ? req.query.query.slice(0, 100) : '';
    sendPage(res, searchPage(contextOf(res), query, query.trim() ? await deps.cases.search(query) : undefined));
  });

  // --- a conversation ----------------------------------------------------------------------------------
  const loadConversation = async (conversationKey: string): Promise<ConversationPageData> => {
    const conversation = await deps.serviceStore.getConversation(conversationKey);
    if (!conversation) throw new ConversationNotFoundError(conversationKey);
    const [session, messages, notes, { runs }, names] = await Promise.all([
      deps.storage.getSession(conversationKey),
      deps.serviceStore.recentMessages(conversationKey, 100),
      deps.people.listAudit({ limit: 50, conversationKey }),
      deps.storage.listRuns({ sessionId: conversationKey, limit: 20, offset: 0 }),
      holders(),
    ]);
    const state = readConversationState(session?.state);
    let report: string | undefined;
    const typificationRun = state.typification?.runId;
    if (typificationRun) {
      const step = (await deps.storage.getStepResults(typificationRun)).find((s) => s.stepName === 'report_generation');
      const content = (step?.output as { content?: unknown } | undefined)?.content;
      if (content !== undefined) report = typeof content === 'string' ? content : JSON.stringify(content, null, 1);
    }
    const holderName = conversation.assignedAgent ? names.get(conversation.assignedAgent) ?? conversation.assignedAgent : undefined;
    // An agent's correction supersedes the model's path on the case (the model's stays visible beneath it).
    // The newest case is the open one if there is one (a case opens only when none is open): one query for both.
    const { cases } = deps.serviceStore;
    const [theCase, ...older] = await cases.casesOf(conversationKey, EARLIER_CASES_SHOWN + 1);
    const [latest, ...earlier] = await Promise.all([
      theCase ? cases.typificationsOf(theCase.id).then((list) => list.at(-1)) : undefined,
      ...older.map(async (c) => ({
        protocolNumber: c.protocolNumber, openedAt: c.openedAt, typification: (await cases.typificationsOf(c.id)).at(-1),
      })),
    ]);
    const correction = latest?.source === 'agent' ? latest : undefined;
    return {
      conversation, state, messages, notes: notes.filter((n) => n.action !== 'reply'), runs, taxonomy: deps.taxonomy, earlierCases: earlier,
      ...(report ? { report } : {}), ...(holderName ? { holderName } : {}), ...(correction ? { correction } : {}),
    };
  };

  router.get('/console/conversations/:key', async (req, res) => {
    const ctx = contextOf(res);
    sendPage(res, conversationPage(ctx, await loadConversation(param(req, 'key')), noticeOf(req, ctx.t)));
  });
  router.get('/console/conversations/:key/stream', (req, res) => {
    const ctx = contextOf(res);
    const key = param(req, 'key');
    stream(req, res, async () => threadList(ctx, await loadConversation(key)), (event) => event.type === 'conversation' && event.conversationKey === key);
  });

  /** Runs an agent action (the cases side audits it), tells the live pages, and goes back to the conversation. */
  const conversationAction = (done: Done, work: (req: Request, res: Response, key: string) => Promise<void>) =>
    async (req: Request, res: Response) => {
      const ctx = contextOf(res);
      const key = param(req, 'key');
      try {
        await work(req, res, key);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        const refused = typeof code === 'string' ? REFUSALS[code] : undefined;
        if (refused === undefined) throw error;
        const data = await loadConversation(key);
        const text = refused === 409 && data.holderName ? ctx.t.heldByOther.replace('{name}', data.holderName) : (error as Error).message;
        return sendPage(res, conversationPage(ctx, data, { text, kind: 'error' }), refused);
      }
      deps.live.publish({ type: 'queue' });
      deps.live.publish({ type: 'conversation', conversationKey: key });
      res.redirect(303, link(ctx, `/console/conversations/${encodeURIComponent(key)}?done=${done}`));
    };

  router.post('/console/conversations/:key/claim', conversationAction('claimed', async (req, res, key) => {
    const ctx = contextOf(res);
    await deps.cases.claim(key, ctx.actor!, { reassign: req.body?.reassign === '1' && ctx.user?.role === 'admin' });
  }));
  router.post('/console/conversations/:key/reply', conversationAction('sent', async (req, res, key) => {
    const text = typeof req.body?.text === 'string' ? req.body.text.trim() : '';
    if (!text || [...text].length > 4096) throw new BadFormError('text');
    const replyId = typeof req.body?.replyId === 'string' && REPLY_ID.test(req.body.replyId) ? req.body.replyId : undefined;
    await deps.cases.reply(key, contextOf(res).actor!, text, replyId);
  }));
  router.post('/console/conversations/:key/release', conversationAction('released', async (_req, res, key) => {
    await deps.cases.release(key, contextOf(res).actor!);
  }));
  router.post('/console/conversations/:key/resolve', conversationAction('resolved', async (_req, res, key) => {
    await deps.cases.resolve(key, contextOf(res).actor!);
  }));
  router.post('/console/conversations/:key/correct', conversationAction('corrected', async (req, res, key) => {
    const submotive = typeof req.body?.submotive === 'string' ? req.body.submotive : '';
    if (!deps.taxonomy.has(submotive)) throw new BadFormError('submotive');
    const [businessUnit, product, motive] = deps.taxonomy.pathOfLeaf(submotive);
    const path = { businessUnit, product, motive, submotive };
    await deps.cases.correct(key, contextOf(res).actor!, path);
  }));

  // --- admin pages ---------------------------------------------------------------------------------------
  const admin = requireAdmin(forbidden);
  for (const path of ['/console/runs', '/console/outbox', '/console/agents', '/console/audit', '/console/models']) router.use(path, admin);

  router.get('/console/runs', async (req, res) => {
    const pick = (name: string) => (typeof req.query[name] === 'string' && req.query[name] ? String(req.query[name]).slice(0, 256) : undefined);
    const filter = { status: pick('status'), workflow: pick('workflow'), conversation: pick('conversation') };
    const { runs, total } = await deps.storage.listRuns({
      ...(filter.status ? { status: filter.status as never } : {}),
      ...(filter.workflow ? { workflowName: filter.workflow } : {}),
      ...(filter.conversation ? { sessionId: filter.conversation } : {}),
      limit: 100, offset: 0,
    });
    sendPage(res, runsPage(contextOf(res), filter as { status?: string; workflow?: string; conversation?: string }, runs, total, deps.workflows.ids()));
  });

  router.get('/console/runs/:id', async (req, res) => {
    const ctx = contextOf(res);
    const run = await deps.storage.getRun(param(req, 'id'));
    if (!run) return sendPage(res, messagePage(ctx, '404', ctx.t.notFound), 404);
    const [steps, events] = await Promise.all([deps.storage.getStepResults(run.runId), deps.storage.getEvents(run.runId)]);
    sendPage(res, runPage(ctx, run, steps, events, noticeOf(req, ctx.t)));
  });

  router.post('/console/runs/:id/rerun', async (req, res) => {
    const ctx = contextOf(res);
    const runId = param(req, 'id');
    if (!(await deps.storage.getRun(runId))) return sendPage(res, messagePage(ctx, '404', ctx.t.notFound), 404);
    const fromStep = typeof req.body?.fromStep === 'string' && req.body.fromStep ? req.body.fromStep : undefined;
    const started = await deps.workflows.rerun(runId, fromStep ? { fromStep } : {});
    await deps.cases.rerunStarted(ctx.actor!, runId, started.runId, fromStep);
    res.redirect(303, link(ctx, `/console/runs/${encodeURIComponent(started.runId)}?done=rerunStarted`));
  });

  router.get('/console/outbox', async (req, res) => {
    sendPage(res, outboxPage(contextOf(res), await deps.storage.listOutbox({ status: 'dead', limit: 200 }), noticeOf(req, contextOf(res).t)));
  });
  router.post('/console/outbox/:id/retry', async (req, res) => {
    const ctx = contextOf(res);
    const id = Number(param(req, 'id'));
    if (!Number.isSafeInteger(id) || !(await deps.storage.retryOutbox(id, now()))) return sendPage(res, messagePage(ctx, '404', ctx.t.notFound), 404);
    deps.kickOutbox();
    await audit(res, 'retry', { detail: { outboxId: id } });
    res.redirect(303, link(ctx, '/console/outbox?done=retried'));
  });

  router.get('/console/agents', async (_req, res) => sendPage(res, agentsPage(contextOf(res), await deps.people.listUsers())));
  router.get('/console/audit', async (_req, res) => sendPage(res, auditPage(contextOf(res), await deps.people.listAudit({ limit: 200 }))));

  const lab = new ModelLab({
    dir: deps.models?.dir ?? defaultModelDir(), taxonomy: deps.taxonomy, serviceStore: deps.serviceStore, logger: deps.logger,
    recordAudit: (actor, action, about) => deps.people.recordAudit(actor, action, about),
    ...(deps.now ? { now: deps.now } : {}),
  });
  router.use(modelRoutes({ lab, livePromotion: deps.models?.livePromotion ?? false }));

  router.use('/console', (_req, res) => sendPage(res, messagePage(contextOf(res), '404', contextOf(res).t.notFound), 404));
  router.use('/console', consoleErrors(deps.logger));
  return router;
}

class BadFormError extends Error {
  constructor(readonly field: string) {
    super(`The form field "${field}" is missing or invalid.`);
  }
}

function consoleErrors(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, _next) => {
    const ctx = res.locals.console as PageContext | undefined;
    if (res.headersSent || !ctx) return void res.end();
    if (error instanceof ConversationNotFoundError) return sendPage(res, messagePage(ctx, '404', ctx.t.notFound), 404);
    if (error instanceof BadFormError) return sendPage(res, messagePage(ctx, '400', error.message), 400);
    logger.error({ err: error }, 'console page failed');
    sendPage(res, messagePage(ctx, '500', ctx.locale === 'en' ? 'Something went wrong on our side.' : 'Algo deu errado do nosso lado.'), 500);
  };
}

