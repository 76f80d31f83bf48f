/**
 * The admin's Models page: the version in use, the trained versions, the corrections no version has
 * learned yet, and the loop's three actions (train, evaluate, promote). The job region polls itself
 * (htmx, every second) while a training or an evaluation runs, then shows its figures.
 */
import { BUILTIN, type ModelJob, type ModelOverview } from '../model-lab.js';
import type { ScoredModel } from '../model-lab-messages.js';
import { html, type Html } from '../html.js';
import { fill } from '../i18n.js';
import type { PageContext } from '../session.js';
import { csrfField, formatTime, layout, link, type LayoutOptions } from './layout.js';

const number = (ctx: PageContext, value: number, digits = 1) =>
  new Intl.NumberFormat(ctx.locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);

export function modelsPage(ctx: PageContext, overview: ModelOverview, job: ModelJob | undefined, options: { livePromotion: boolean; notice?: LayoutOptions['notice'] }): Html {
  const m = ctx.t.models;
  const active = overview.active;
  const candidates = overview.versions.filter((v) => v.version !== active?.version);
  return layout(ctx, {
    title: m.title,
    ...(options.notice ? { notice: options.notice } : {}),
    body: html`<section aria-labelledby="served-now"><h2 id="served-now">${m.servedNow}</h2>
<p id="served-version">${active ? fill(m.promotedBy, { version: active.version, who: active.promotedBy, when: formatTime(ctx, Date.parse(active.promotedAt)) }) : m.noPromoted}</p>
<p>${options.livePromotion ? m.liveNote : m.restartNote}</p>
<p id="pending-corrections">${fill(m.pending, { pending: overview.pendingCorrections, total: overview.corrections })}</p></section>
<section aria-labelledby="train-title"><h2 id="train-title">${m.train}</h2><p>${m.trainHelp}</p>
<form method="post" action="${link(ctx, '/console/models/train')}">${csrfField(ctx)}<button type="submit">${m.train}</button></form></section>
${modelJob(ctx, job)}
<section aria-labelledby="versions-title"><h2 id="versions-title">${m.versions}</h2>
${overview.versions.length === 0 ? html`<p>${m.noVersions}</p>` : html`<table><thead><tr><th scope="col">${m.version}</th><th scope="col">${m.created}</th><th scope="col">${m.conversations}</th><th scope="col">${m.corrections}</th><th scope="col">${ctx.t.status}</th><th scope="col">${ctx.t.action}</th></tr></thead>
<tbody>${overview.versions.map((v) => html`<tr data-version="${v.version}"><td><code>${v.version}</code></td><td>${formatTime(ctx, v.createdAt)}</td><td>${v.conversations}</td><td>${v.corrections}</td>
<td>${v.version === active?.version ? html`<strong>${m.inUse}</strong>` : ''}</td>
<td>${v.version === active?.version ? '' : html`<a href="${link(ctx, `/console/models/promote?version=${v.version}`)}" aria-label="${fill(m.promoteLabel, { version: v.version })}">${m.promote}</a>`}</td></tr>`)}</tbody></table>`}
</section>
${candidates.length === 0 ? '' : html`<section aria-labelledby="evaluate-title"><h2 id="evaluate-title">${m.evaluateTitle}</h2><p>${m.evaluateHelp}</p>
<form method="post" action="${link(ctx, '/console/models/evaluate')}" class="filters">${csrfField(ctx)}
<label for="candidate">${m.candidate}</label><select id="candidate" name="candidate">${candidates.map((v) => html`<option value="${v.version}">${v.version}</option>`)}</select>
<label for="labeled-file">${m.labeledFile}</label><select id="labeled-file" name="file">${overview.labeledFiles.map((f) => html`<option${f === 'typification-rough.jsonl' ? ' selected' : ''}>${f}</option>`)}</select>
<button type="submit">${m.evaluate}</button></form></section>`}`,
  });
}

/** The job region: polls itself while running; the last job's figures once done. */
export function modelJob(ctx: PageContext, job: ModelJob | undefined): Html {
  const m = ctx.t.models;
  if (!job) return html`<section id="model-job" aria-live="polite"></section>`;
  const who = { who: job.startedBy, when: formatTime(ctx, job.startedAt) };
  if (job.state === 'running') {
    const text = job.kind === 'train' ? fill(m.training, who) : fill(m.evaluating, { ...who, candidate: job.candidate ?? '', file: job.input ?? '' });
    return html`<section id="model-job" aria-live="polite" aria-busy="true" hx-get="${link(ctx, '/console/models/job')}" hx-trigger="every 1s" hx-swap="outerHTML">
<p class="training">${text}</p><p><a href="${link(ctx, '/console/models')}">${m.refresh}</a></p></section>`;
  }
  if (job.state === 'failed' || !job.result) return html`<section id="model-job" aria-live="polite"><p class="notice error">${fill(m.failed, { error: job.error ?? '' })}</p></section>`;
  const result = job.result;
  if (result.kind === 'train') {
    const sources = result.sources.map((s) => fill(s.kind === 'shipped' ? m.sourceShipped : m.sourceCorrections, { n: s.conversations })).join(' + ');
    return html`<section id="model-job" aria-live="polite"><p class="notice ok">${fill(m.trained, { version: result.version, seconds: number(ctx, result.seconds, 2), conversations: result.conversations, sources })}</p></section>`;
  }
  const rows: Array<[string, keyof Pick<ScoredModel, 'businessUnit' | 'fullPath' | 'escalationPrecision' | 'escalationRecall'>]> = [
    [m.businessUnit, 'businessUnit'], [m.fullPath, 'fullPath'], [m.escalationPrecision, 'escalationPrecision'], [m.escalationRecall, 'escalationRecall'],
  ];
  const warnings = [result.served, result.candidate].filter((s) => s.trainedOn > 0)
    .map((s) => html`<p class="notice error">${fill(m.trainedOnWarning, { count: s.trainedOn, total: result.conversations, model: s.modelId })}</p>`);
  const delta = (value: number) => `${value >= 0 ? '+' : '−'}${number(ctx, Math.abs(value))}`;
  return html`<section id="model-job" aria-live="polite"><h2>${fill(m.evaluated, { file: job.input ?? '', conversations: result.conversations, seconds: number(ctx, result.seconds, 2) })}</h2>
${warnings}
<table class="comparison"><thead><tr><th scope="col">${m.measure}</th><th scope="col">${m.served}<br><code>${result.served.modelId}</code></th><th scope="col">${m.candidateColumn}<br><code>${result.candidate.modelId}</code></th><th scope="col">Δ</th></tr></thead>
<tbody>${rows.map(([label, key]) => html`<tr><th scope="row">${label}</th><td>${number(ctx, result.served[key])} %</td><td>${number(ctx, result.candidate[key])} %</td><td>${delta(result.candidate[key] - result.served[key])}</td></tr>`)}</tbody></table></section>`;
}

export function promotePage(ctx: PageContext, version: string, from: string, facts: { conversations: number; corrections: number }): Html {
  const m = ctx.t.models;
  return layout(ctx, {
    title: fill(m.promoteTitle, { version }),
    body: html`<p>${fill(m.promoteFromTo, { from: from === BUILTIN ? m.bundled : from, to: version })}</p>
<p>${m.conversations}: ${facts.conversations} · ${m.corrections}: ${facts.corrections}</p>
<form method="post" action="${link(ctx, '/console/models/promote')}">${csrfField(ctx)}
<input type="hidden" name="version" value="${version}"><input type="hidden" name="from" value="${from}">
<button type="submit">${m.confirmPromote}</button> <a href="${link(ctx, '/console/models')}">${m.cancel}</a></form>`,
  });
}
