import { describe, expect, it } from 'vitest';
import { html } from '../../../src/console/html.js';
import { LoginThrottle } from '../../../src/console/throttle.js';

describe('html template', () => {
  it('escapes customer text so markup renders as text, and keeps markup built by the template', () => {
    const name = '<script>alert(1)</script>';
    const text = `"><img src=x onerror=alert('x')>`;
    const page = html`<p title="${text}">${name}</p>${[html`<b>${'a&b'}</b>`, 'c<d']}`;
    expect(page.value).toBe('<p title="&quot;&gt;&lt;img src=x onerror=alert(&#39;x&#39;)&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</p><b>a&amp;b</b>c&lt;d');
  });
});

describe('login throttle', () => {
  it('refuses a username and address after five failures until the window passes; other pairs are unaffected', () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(5, 60_000, () => now);
    for (let i = 0; i < 5; i++) throttle.failed('ana', '10.0.0.1');
    expect(throttle.retryAfterSeconds('ana', '10.0.0.1')).toBe(60);
    expect(throttle.retryAfterSeconds('ana', '10.0.0.2')).toBe(0);
    expect(throttle.retryAfterSeconds('bia', '10.0.0.1')).toBe(0);
    now += 60_001;
    expect(throttle.retryAfterSeconds('ana', '10.0.0.1')).toBe(0);
  });
});
