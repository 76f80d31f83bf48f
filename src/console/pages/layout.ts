import { html, type Html } from '../html.js';
import type { PageContext } from '../session.js';

export interface LayoutOptions {
  title: string;
  body: Html;
  /** A message for screen readers and everyone (done, refused). */
  notice?: { text: string; kind: 'ok' | 'error' };
}

/** Appends `lang=en` to console links when the page is in English, so the choice survives navigation. */
export function link(ctx: PageContext, path: string): string {
  if (ctx.locale !== 'en') return path;
  return `${path}${path.includes('?') ? '&' : '?'}lang=en`;
}

function nav(ctx: PageContext): Html {
  const user = ctx.user;
  if (!user) return html``;
  const items: Array<[string, string]> = [['/console/queue', ctx.t.queue], ['/console/search', ctx.t.search]];
  if (user.role === 'admin') {
    items.push(['/console/runs', ctx.t.runs], ['/console/outbox', ctx.t.deadOutbox], ['/console/agents', ctx.t.agents], ['/console/models', ctx.t.models.title], ['/console/audit', ctx.t.audit]);
  }
  const current = ctx.here.split('?')[0] ?? '';
  return html`<nav aria-label="${ctx.t.mainNav}"><ul>
    ${items.map(([path, label]) => html`<li><a href="${link(ctx, path)}"${current.startsWith(path) ? html` aria-current="page"` : ''}>${label}</a></li>`)}
  </ul>
  <form method="post" action="/console/logout" class="signout">
    <input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">
    <span>${user.displayName}</span> <button type="submit">${ctx.t.signOut}</button>
  </form></nav>`;
}

export function layout(ctx: PageContext, options: LayoutOptions): Html {
  const otherLang = ctx.locale === 'en' ? { lang: 'pt-BR', label: 'Português' } : { lang: 'en', label: 'English' };
  const here = new URL(ctx.here, 'http://console.local');
  here.searchParams.set('lang', otherLang.lang);
  return html`<!doctype html>
<html lang="${ctx.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"includeIndicatorCSS":false}'>
<title>${options.title} · ${ctx.t.appName}</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/htmx.min.js" defer></script>
<script src="/console/assets/hx-sse.min.js" defer></script>
</head>
<body>
<a class="skip" href="#main">${ctx.locale === 'en' ? 'Skip to content' : 'Pular para o conteúdo'}</a>
<header><span class="brand">${ctx.t.appName}</span>${nav(ctx)}
<a class="lang" href="${here.pathname + here.search}" lang="${otherLang.lang}">${otherLang.label}</a></header>
<main id="main">
<h1>${options.title}</h1>
<div id="notice" role="status" aria-live="polite">${options.notice ? html`<p class="notice ${options.notice.kind}">${options.notice.text}</p>` : ''}</div>
${options.body}
</main>
</body>
</html>`;
}

/** Epoch ms → "07/12 14:03" in São Paulo time (what the agents' clocks say). */
export function formatTime(ctx: PageContext, at: number | undefined): string {
  if (at === undefined) return ctx.t.none;
  return new Intl.DateTimeFormat(ctx.locale, { timeZone: 'America/Sao_Paulo', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(at);
}

export function formatWait(ctx: PageContext, since: number | undefined, now: number): string {
  if (since === undefined) return ctx.t.none;
  return ctx.t.minutes.replace('{n}', String(Math.max(0, Math.floor((now - since) / 60_000))));
}

export const csrfField = (ctx: PageContext): Html => html`<input type="hidden" name="_csrf" value="${ctx.csrfToken ?? ''}">`;
