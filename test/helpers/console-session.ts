/**
 * Signing in to the zapflow console as a person does (the login form, its CSRF token, the session cookie), for
 * tests that read or submit console pages over HTTP.
 */
import { expect } from 'vitest';

export interface ConsoleSession {
  cookie: string;
  /** A CSRF token of the signed-in session (from the queue page's forms). */
  csrf: string;
}

export const cookiesOf = (response: Response): string => response.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');

export async function signIn(url: string, username: string, password: string): Promise<ConsoleSession> {
  const login = await fetch(`${url}/console/login`);
  const loginCsrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())?.[1] ?? '';
  const signedIn = await fetch(`${url}/console/login`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: cookiesOf(login), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: loginCsrf, username, password, next: '/console/queue' }),
  });
  expect(signedIn.status, `${username} could not sign in`).toBe(303);
  const cookie = cookiesOf(signedIn);
  const page = await fetch(`${url}/console/queue`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, csrf };
}
