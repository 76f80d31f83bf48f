import { html } from '../html.js';
import type { PageContext } from '../session.js';
import { layout } from './layout.js';

export function loginPage(ctx: PageContext, options: { csrf: string; next: string; username?: string; error?: string }) {
  return layout(ctx, {
    title: ctx.t.signInTitle,
    ...(options.error ? { notice: { text: options.error, kind: 'error' as const } } : {}),
    body: html`<form method="post" action="/console/login${ctx.locale === 'en' ? '?lang=en' : ''}" class="login">
  <input type="hidden" name="_csrf" value="${options.csrf}">
  <input type="hidden" name="next" value="${options.next}">
  <p><label for="username">${ctx.t.username}</label>
  <input id="username" name="username" autocomplete="username" required autofocus value="${options.username ?? ''}"></p>
  <p><label for="password">${ctx.t.password}</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required></p>
  <p><button type="submit">${ctx.t.signIn}</button></p>
</form>`,
  });
}
