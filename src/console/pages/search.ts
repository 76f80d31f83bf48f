import type { ConversationRecord } from '../../conversations/store/types.js';
import { html } from '../html.js';
import type { PageContext } from '../session.js';
import { formatTime, layout } from './layout.js';
import { conversationHref } from './queue.js';

export function searchPage(ctx: PageContext, query: string, results: ConversationRecord[] | undefined) {
  return layout(ctx, {
    title: ctx.t.search,
    body: html`<form method="get" action="/console/search" role="search">
${ctx.locale === 'en' ? html`<input type="hidden" name="lang" value="en">` : ''}
<p><label for="query">${ctx.t.searchLabel}</label>
<input id="query" name="query" type="search" value="${query}" required> <button type="submit">${ctx.t.search}</button></p>
</form>
<div aria-live="polite">
${results === undefined ? '' : results.length === 0 ? html`<p>${ctx.t.noResults}</p>` : html`<table>
<thead><tr><th scope="col">${ctx.t.customer}</th><th scope="col">${ctx.t.phone}</th><th scope="col">${ctx.t.protocol}</th><th scope="col">${ctx.t.status}</th><th scope="col">${ctx.t.when}</th></tr></thead>
<tbody>${results.map((c) => html`<tr><td><a href="${conversationHref(ctx, c.conversationKey)}">${c.name ?? c.customer}</a></td><td>${c.customer}</td><td>${c.protocolNumber ?? ctx.t.none}</td><td>${ctx.t.handoff[c.handoffStatus]}</td><td>${formatTime(ctx, c.updatedAt)}</td></tr>`)}</tbody>
</table>`}
</div>`,
  });
}
