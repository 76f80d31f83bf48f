import type { QueueItem } from '../cases.js';
import { html, type Html } from '../html.js';
import type { PageContext } from '../session.js';
import { reasonLabel } from './conversation.js';
import { formatWait, layout, link } from './layout.js';

export type QueueTab = 'mine' | 'all';

export const conversationHref = (ctx: PageContext, conversationKey: string): string =>
  link(ctx, `/console/conversations/${encodeURIComponent(conversationKey)}`);

/** The table alone: the page embeds it and the live stream sends it again on every change. */
export function queueTable(ctx: PageContext, items: QueueItem[], holders: Map<string, string>, now: number): Html {
  if (items.length === 0) return html`<p>${ctx.t.noneWaiting}</p>`;
  return html`<table class="queue">
<caption class="visually-hidden">${ctx.t.queue}</caption>
<thead><tr><th scope="col">${ctx.t.urgency}</th><th scope="col">${ctx.t.reason}</th><th scope="col">${ctx.t.protocol}</th><th scope="col">${ctx.t.customer}</th><th scope="col">${ctx.t.waiting}</th><th scope="col">${ctx.t.status}</th></tr></thead>
<tbody>
${items.map(({ conversation: c, slaDeadline }) => {
  const overdue = slaDeadline < now;
  const holder = c.assignedAgent ? holders.get(c.assignedAgent) ?? c.assignedAgent : undefined;
  return html`<tr class="${overdue ? 'overdue' : ''}" data-conversation="${c.conversationKey}">
<td><span class="urgency ${c.urgency ?? 'medium'}">${ctx.t.urgencies[c.urgency ?? 'medium']}</span></td>
<td>${reasonLabel(ctx, c.reason)}</td>
<td>${c.protocolNumber ?? ctx.t.none}</td>
<td><a href="${conversationHref(ctx, c.conversationKey)}">${c.name ?? c.customer}</a></td>
<td>${formatWait(ctx, c.waitingSince, now)}${overdue ? html` <strong class="sla">${ctx.t.overdue}</strong>` : ''}</td>
<td>${c.handoffStatus === 'human' && holder ? html`${ctx.t.heldBy} ${holder}` : ctx.t.handoff[c.handoffStatus]}</td>
</tr>`;
})}
</tbody></table>`;
}

export function queuePage(ctx: PageContext, tab: QueueTab, table: Html) {
  const tabLink = (value: QueueTab, label: string) =>
    html`<a href="${link(ctx, `/console/queue?tab=${value}`)}"${tab === value ? html` aria-current="page"` : ''}>${label}</a>`;
  return layout(ctx, {
    title: ctx.t.queue,
    body: html`<nav class="tabs" aria-label="${ctx.t.queue}">${tabLink('all', ctx.t.allOpen)} ${tabLink('mine', ctx.t.mine)}</nav>
<section aria-label="${ctx.t.liveQueue}">
<div id="queue" aria-live="polite" hx-sse:connect="${link(ctx, `/console/queue/stream?tab=${tab}`)}">${table}</div>
</section>`,
  });
}
