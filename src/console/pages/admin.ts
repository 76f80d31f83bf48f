/** Admin pages: runs (filters), one run (step timeline, events, rerun), dead outbox, agents, audit log. */
import type { OutboxRecord, RunRecord, StepResultRecord, StoredEvent } from '../../engine/index.js';
import type { AuditEntry, User } from '../../people/index.js';
import { html, type Html } from '../html.js';
import type { PageContext } from '../session.js';
import { csrfField, formatTime, layout, link, type LayoutOptions } from './layout.js';

const RUN_STATUSES = ['pending', 'running', 'paused', 'completed', 'error', 'cancelled'] as const;

/** Long JSON is cut for the page; the admin API has the whole of it. */
const preview = (value: unknown, max = 1200): string => {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 1);
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

export function runsPage(ctx: PageContext, filter: { status?: string; workflow?: string; conversation?: string }, runs: RunRecord[], total: number, workflows: string[]) {
  return layout(ctx, {
    title: ctx.t.runs,
    body: html`<form method="get" action="/console/runs" class="filters">
${ctx.locale === 'en' ? html`<input type="hidden" name="lang" value="en">` : ''}
<label for="f-status">${ctx.t.status}</label><select id="f-status" name="status"><option value="">${ctx.t.any}</option>
${RUN_STATUSES.map((s) => html`<option${filter.status === s ? ' selected' : ''}>${s}</option>`)}</select>
<label for="f-workflow">${ctx.t.workflow}</label><select id="f-workflow" name="workflow"><option value="">${ctx.t.any}</option>
${workflows.map((w) => html`<option${filter.workflow === w ? ' selected' : ''}>${w}</option>`)}</select>
<label for="f-conv">${ctx.t.thread}</label><input id="f-conv" name="conversation" value="${filter.conversation ?? ''}">
<button type="submit">${ctx.t.filter}</button></form>
<p>${total}</p>
<table><thead><tr><th scope="col">Run</th><th scope="col">${ctx.t.workflow}</th><th scope="col">${ctx.t.status}</th><th scope="col">${ctx.t.thread}</th><th scope="col">${ctx.t.started}</th></tr></thead>
<tbody>${runs.map((r) => html`<tr><td><a href="${link(ctx, `/console/runs/${encodeURIComponent(r.runId)}`)}">${r.runId.slice(0, 8)}</a></td><td>${r.workflowName}</td><td class="status ${r.status}">${r.status}</td><td>${r.sessionId}</td><td>${formatTime(ctx, r.createdAt)}</td></tr>`)}</tbody></table>`,
  });
}

export function runPage(ctx: PageContext, run: RunRecord, steps: StepResultRecord[], events: StoredEvent[], notice?: LayoutOptions['notice']) {
  const topLevel = [...new Set(steps.map((s) => s.stepPath.split('/')[0] ?? s.stepPath))];
  const stepError = (s: StepResultRecord): string => {
    const output = s.output as { error?: unknown } | null;
    return output && typeof output === 'object' && output.error ? preview(output.error, 400) : '';
  };
  return layout(ctx, {
    title: `${run.workflowName} · ${run.runId.slice(0, 8)}`,
    ...(notice ? { notice } : {}),
    body: html`<p class="meta">${ctx.t.status}: <span class="status ${run.status}">${run.status}</span> · ${run.sessionId} · ${formatTime(ctx, run.createdAt)}${run.parentRunId ? html` · ↩ <a href="${link(ctx, `/console/runs/${encodeURIComponent(run.parentRunId)}`)}">${run.parentRunId.slice(0, 8)}</a>` : ''}</p>
${run.error ? html`<p class="error-text">${ctx.t.error}: ${preview(run.error, 600)}</p>` : ''}
<form method="post" action="${link(ctx, `/console/runs/${encodeURIComponent(run.runId)}/rerun`)}" class="rerun">${csrfField(ctx)}
<label for="from-step">${ctx.t.fromStep}</label>
<select id="from-step" name="fromStep"><option value="">${topLevel[0] ?? ''} (1)</option>${topLevel.map((name) => html`<option value="${name}">${name}</option>`)}</select>
<button type="submit">${ctx.t.rerun}</button></form>
<h2>${ctx.t.steps}</h2>
<table class="steps"><thead><tr><th scope="col">Step</th><th scope="col">${ctx.t.status}</th><th scope="col">${ctx.t.duration}</th><th scope="col">${ctx.t.output}</th><th scope="col">${ctx.t.error}</th></tr></thead>
<tbody>${steps.map((s) => html`<tr><td>${s.stepPath}</td><td class="status ${s.status}">${s.status}</td><td>${s.finishedAt - s.startedAt} ms</td><td><details><summary>${ctx.t.output}</summary><pre>${preview(s.output)}</pre></details></td><td>${stepError(s)}</td></tr>`)}</tbody></table>
<h2>${ctx.t.events}</h2>
<ol class="events">${events.map((e) => html`<li><time>${formatTime(ctx, e.time)}</time> ${e.type}${e.stepPath ? html` · ${e.stepPath}` : ''}</li>`)}</ol>`,
  });
}

export function outboxPage(ctx: PageContext, rows: OutboxRecord[], notice?: LayoutOptions['notice']) {
  return layout(ctx, {
    title: ctx.t.deadOutbox,
    ...(notice ? { notice } : {}),
    body: rows.length === 0 ? html`<p>${ctx.t.nothingDead}</p>` : html`<table><thead><tr><th scope="col">#</th><th scope="col">${ctx.t.topic}</th><th scope="col">${ctx.t.attempts}</th><th scope="col">${ctx.t.error}</th><th scope="col">${ctx.t.action}</th></tr></thead>
<tbody>${rows.map((row) => html`<tr><td>${row.id}</td><td>${row.topic}</td><td>${row.attempts}</td><td>${preview(row.lastError, 300)}</td>
<td><form method="post" action="${link(ctx, `/console/outbox/${row.id}/retry`)}">${csrfField(ctx)}<button type="submit" aria-label="${ctx.t.retry} #${row.id}">${ctx.t.retry}</button></form></td></tr>`)}</tbody></table>`,
  });
}

export function agentsPage(ctx: PageContext, users: User[]) {
  return layout(ctx, {
    title: ctx.t.agents,
    body: html`<table><thead><tr><th scope="col">${ctx.t.username}</th><th scope="col">${ctx.t.name}</th><th scope="col">${ctx.t.role}</th><th scope="col">${ctx.t.phone}</th><th scope="col">${ctx.t.status}</th></tr></thead>
<tbody>${users.map((u) => html`<tr><td>${u.username}</td><td>${u.displayName}</td><td>${u.role}</td><td>${u.phone ?? ctx.t.none}</td><td>${u.disabledAt ? ctx.t.disabled : ctx.t.active}</td></tr>`)}</tbody></table>
<p><code>zapflow agents add --username … --name "…" --role agent|admin</code></p>`,
  });
}

export function auditPage(ctx: PageContext, entries: AuditEntry[]) {
  return layout(ctx, {
    title: ctx.t.audit,
    body: html`<table><thead><tr><th scope="col">${ctx.t.when}</th><th scope="col">${ctx.t.who}</th><th scope="col">${ctx.t.action}</th><th scope="col">${ctx.t.target}</th><th scope="col">Detail</th></tr></thead>
<tbody>${entries.map((e) => html`<tr><td>${formatTime(ctx, e.at)}</td><td>${e.actorLabel}</td><td>${e.action}</td><td>${e.conversationKey ?? ''}</td><td>${e.detail ? JSON.stringify(e.detail) : ''}</td></tr>`)}</tbody></table>`,
  });
}

export function messagePage(ctx: PageContext, title: string, text: string): Html {
  return layout(ctx, { title, body: html`<p>${text}</p><p><a href="${link(ctx, '/console/queue')}">${ctx.t.queue}</a></p>` });
}
