import { randomUUID } from 'node:crypto';
import type { CaseTypification } from '../../conversations/store/case-types.js';
import type { ConversationRecord, InboxRecord } from '../../conversations/store/types.js';
import type { RunRecord } from '../../engine/index.js';
import type { AuditEntry } from '../../people/index.js';
import type { Taxonomy } from '../../taxonomy/index.js';
import type { ConversationSessionState } from '../../workflows/session-state.js';
import { holderOf } from '../cases.js';
import { html, type Html } from '../html.js';
import type { PageContext } from '../session.js';
import { csrfField, formatTime, layout, link, type LayoutOptions } from './layout.js';

export interface ConversationPageData {
  conversation: ConversationRecord;
  state: ConversationSessionState;
  messages: InboxRecord[];
  /** Audit entries about this conversation: the thread's system notes. */
  notes: AuditEntry[];
  runs: RunRecord[];
  /** The latest typification run's report, as the workflow wrote it. */
  report?: string;
  holderName?: string;
  taxonomy: Taxonomy;
  /** The case's latest typification when an agent set it by hand: it supersedes the model's. */
  correction?: CaseTypification;
  /** The conversation's earlier cases, newest first, each with its last typification (the model's or an agent's). */
  earlierCases: Array<{ protocolNumber: string | undefined; openedAt: number; typification: CaseTypification | undefined }>;
}

export const reasonLabel = (ctx: PageContext, reason: string | undefined): string => (reason ? ctx.t.reasons[reason] ?? reason : ctx.t.none);

type Author = 'customer' | 'bot' | 'agent' | 'system';

const authorOf = (kind: InboxRecord['kind']): Author =>
  kind === 'bot_reply' ? 'bot' : kind === 'agent_reply' || kind === 'agent_message' ? 'agent' : kind === 'system_note' ? 'system' : 'customer';

/** Messages and system notes in time order (the part that the live stream refreshes). */
export function threadList(ctx: PageContext, data: Pick<ConversationPageData, 'messages' | 'notes' | 'taxonomy'>): Html {
  const label = (id: string) => (data.taxonomy.has(id) ? data.taxonomy.label(id) : id);
  const noteText = (n: AuditEntry) =>
    `${n.actorLabel} ${ctx.t.actions[n.action] ?? n.action}${typeof n.detail?.path === 'string' ? `: ${n.detail.path.split(' / ').map(label).join(' › ')}` : ''}`;
  const items: Array<{ at: number; author: Author; text: string }> = [
    // System notes come from the audit log below (the thread's own notes would say the same twice).
    ...data.messages.filter((m) => m.kind !== 'system_note').map((m) => ({ at: m.kind === 'text' || m.kind === 'text_only_notice' ? m.sentAt : m.receivedAt, author: authorOf(m.kind), text: m.text })),
    ...data.notes.map((n) => ({ at: n.at, author: 'system' as const, text: noteText(n) })),
  ].sort((a, b) => a.at - b.at);
  return html`<ol class="thread">${items.map((item) => html`<li class="msg ${item.author}"><span class="who">${ctx.t.from[item.author]}</span>
<time>${formatTime(ctx, item.at)}</time><p>${item.text}</p></li>`)}</ol>`;
}

function actions(ctx: PageContext, data: ConversationPageData): Html {
  const c = data.conversation;
  const mine = ctx.actor !== undefined && c.handoffStatus === 'human' && c.assignedAgent === holderOf(ctx.actor);
  const canAct = mine || (ctx.user?.role === 'admin' && c.handoffStatus === 'human');
  const base = `/console/conversations/${encodeURIComponent(c.conversationKey)}`;
  const form = (action: string, label: string, extra: Html = html``) =>
    html`<form method="post" action="${link(ctx, `${base}/${action}`)}" class="inline">${csrfField(ctx)}${extra}<button type="submit">${label}</button></form>`;
  return html`<section aria-labelledby="actions-h"><h2 id="actions-h" class="visually-hidden">${ctx.t.action}</h2>
${c.handoffStatus === 'human' && !mine && data.holderName ? html`<p class="held">${ctx.t.heldByOther.replace('{name}', data.holderName)}</p>` : ''}
<div class="actions">
${!mine && (c.handoffStatus === 'waiting_human' || (c.handoffStatus === 'human' && ctx.user?.role === 'admin')) ? form('claim', ctx.t.claim, ctx.user?.role === 'admin' && c.handoffStatus === 'human' ? html`<input type="hidden" name="reassign" value="1">` : html``) : ''}
${canAct ? form('release', ctx.t.release) : ''}
${canAct ? form('resolve', ctx.t.resolve) : ''}
</div>
${canAct ? html`<form method="post" action="${link(ctx, `${base}/reply`)}" class="reply">${csrfField(ctx)}
<input type="hidden" name="replyId" value="${randomUUID()}">
<p><label for="reply-text">${ctx.t.reply}</label><textarea id="reply-text" name="text" rows="3" required maxlength="4096"></textarea></p>
<p><button type="submit">${ctx.t.send}</button></p></form>` : ''}
</section>`;
}

function typification(ctx: PageContext, data: ConversationPageData): Html {
  const record = data.state.typification;
  const tax = data.taxonomy;
  const label = (id: string) => (tax.has(id) ? tax.label(id) : id);
  const levels = record
    ? ([['businessUnit', record.path.businessUnit], ['product', record.path.product], ['motive', record.path.motive], ['submotive', record.path.submotive]] as const)
    : [];
  const base = `/console/conversations/${encodeURIComponent(data.conversation.conversationKey)}`;
  const corrected = data.correction?.path;
  const current = corrected?.submotive ?? record?.path.submotive;
  return html`<section aria-labelledby="typ-h"><h2 id="typ-h">${ctx.t.typification}</h2>
${corrected ? html`<ol class="path">${[corrected.businessUnit, corrected.product, corrected.motive, corrected.submotive].map((id) => html`<li>${label(id)}</li>`)}</ol>
<p>${ctx.t.correctedBy} ${data.correction?.actor ?? ''} · ${formatTime(ctx, data.correction?.at ?? 0)}</p><h3>${ctx.t.modelSaid}</h3>` : ''}
${record ? html`<ol class="path">${levels.map(([level, id]) => html`<li>${label(id)} <small>(${ctx.t.confidence} ${Math.round(record.levelConfidences[level] * 100)}%)</small></li>`)}</ol>
<p>${ctx.t.confidence}: ${Math.round(record.confidence * 100)}% · ${record.route}</p>` : html`<p>${ctx.t.none}</p>`}
${data.report ? html`<h3>${ctx.t.report}</h3><pre class="report">${data.report}</pre>` : ''}
<form method="post" action="${link(ctx, `${base}/correct`)}">${csrfField(ctx)}
<p><label for="correct-path">${ctx.t.correct}</label>
<select id="correct-path" name="submotive" required><option value=""></option>
${tax.leaves().map((path) => html`<option value="${path[3]}"${current === path[3] ? ' selected' : ''}>${path.map(label).join(' › ')}</option>`)}
</select> <button type="submit">${ctx.t.correctSave}</button></p></form>
</section>`;
}

export function conversationPage(ctx: PageContext, data: ConversationPageData, notice?: LayoutOptions['notice']) {
  const c = data.conversation;
  const escalation = data.state.escalation;
  const protocols = data.state.protocolNumbers ?? [];
  const current = c.protocolNumber ?? protocols.at(-1);
  const label = (id: string) => (data.taxonomy.has(id) ? data.taxonomy.label(id) : id);
  return layout(ctx, {
    title: `${c.name ?? c.customer}${current ? ` · ${current}` : ''}`,
    ...(notice ? { notice } : {}),
    body: html`<p class="meta">${c.customer} · ${c.provider} · ${ctx.t.handoff[c.handoffStatus]}${data.holderName && c.handoffStatus === 'human' ? html` · ${ctx.t.heldBy} ${data.holderName}` : ''}</p>
${actions(ctx, data)}
<div class="columns">
<section aria-labelledby="thread-h" class="thread-col"><h2 id="thread-h">${ctx.t.thread}</h2>
<div id="thread" aria-live="polite" hx-sse:connect="${link(ctx, `/console/conversations/${encodeURIComponent(c.conversationKey)}/stream`)}">${threadList(ctx, data)}</div>
</section>
<aside>
${typification(ctx, data)}
<section aria-labelledby="esc-h"><h2 id="esc-h">${ctx.t.escalation}</h2>
${escalation ? html`<dl><dt>${ctx.t.reason}</dt><dd>${reasonLabel(ctx, c.reason ?? escalation.reason ?? undefined)}</dd><dt>${ctx.t.urgency}</dt><dd>${ctx.t.urgencies[c.urgency ?? escalation.urgency]}</dd><dt>${ctx.t.emotion}</dt><dd>${ctx.t.emotions[escalation.emotion] ?? escalation.emotion}</dd></dl><p>${escalation.summary}</p>` : html`<p>${ctx.t.none}</p>`}
</section>
<section aria-labelledby="prot-h"><h2 id="prot-h">${ctx.t.protocols}</h2>
<ul>${protocols.map((p) => html`<li>${p}${p === current ? ' ✓' : ''}</li>`)}</ul>
<h3>${ctx.t.earlierCases}</h3>
${data.earlierCases.length > 0 ? html`<ul>${data.earlierCases.map((e) => html`<li>${formatTime(ctx, e.openedAt)} · ${e.protocolNumber ?? ctx.t.none} · ${e.typification ? label(e.typification.path.submotive) : ctx.t.none}</li>`)}</ul>` : html`<p>${ctx.t.none}</p>`}
</section>
<section aria-labelledby="runs-h"><h2 id="runs-h">${ctx.t.conversationRuns}</h2>
<ul>${data.runs.map((run) => html`<li>${ctx.user?.role === 'admin' ? html`<a href="${link(ctx, `/console/runs/${encodeURIComponent(run.runId)}`)}">${run.workflowName}</a>` : run.workflowName} · ${run.status} · ${formatTime(ctx, run.createdAt)}</li>`)}</ul>
</section>
</aside></div>`,
  });
}
