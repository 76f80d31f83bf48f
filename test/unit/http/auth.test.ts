import type * as crypto from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpConfigError } from '../../../src/http/errors.js';
import { bearerTokenOf, requireBearerToken } from '../../../src/http/auth.js';
import { silentLogger } from '../../../src/logging.js';
import { ADMIN_TOKEN, type AdminTestServer, startAdminServer } from './admin-server.js';

// Wrap (not replace) timingSafeEqual, to prove the token check goes through it.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof crypto>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

describe('admin bearer authentication', () => {
  let server: AdminTestServer;
  beforeAll(async () => {
    server = await startAdminServer();
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(() => {
    vi.mocked(timingSafeEqual).mockClear();
  });

  it('answers 401 with a Bearer challenge when no token is sent, and runs nothing', async () => {
    const response = await server.call('POST', '/admin/workflows/human-handoff/run', { token: null, body: { conversationKey: 'k', message: 'oi' } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="zapflow-admin"$/);
    expect(response.json).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(server.workflows.started).toEqual([]);
  });

  it('answers 401 for another scheme or an empty bearer', async () => {
    for (const authorization of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer ', ADMIN_TOKEN]) {
      const response = await server.call('GET', '/admin/runs', { token: null, headers: { authorization } });
      expect(response.status, authorization).toBe(401);
    }
  });

  it('answers 403 for a wrong token, comparing in constant time on equal-length digests', async () => {
    for (const wrong of ['x', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), ADMIN_TOKEN.toUpperCase()]) {
      const response = await server.call('POST', '/admin/outbox/1/retry', { token: wrong });
      expect(response.status, wrong).toBe(403);
      expect(response.json).toMatchObject({ code: 'AUTH_INVALID' });
      expect(response.headers.get('www-authenticate')).toBeNull();
    }
    const calls = vi.mocked(timingSafeEqual).mock.calls;
    expect(calls).toHaveLength(4);
    for (const [a, b] of calls) expect((a as Buffer).length).toBe((b as Buffer).length);
    expect(server.kicks()).toBe(0);
  });

  it('lets the right token through, with the scheme in any case', async () => {
    const response = await server.call('GET', '/admin/runs', { token: null, headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(1);
  });

  it('authenticates before reading the body: broken JSON without a token is 401, not 400', async () => {
    const response = await server.call('POST', '/admin/runs/r1/rerun', { token: null, rawBody: '{not json' });
    expect(response.status).toBe(401);
  });

  it('guards unknown /admin paths too, and leaves other routes alone', async () => {
    expect((await server.call('GET', '/admin/nothing-here', { token: null })).status).toBe(401);
    const unknown = await server.call('GET', '/admin/nothing-here');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    const other = await server.call('GET', '/public', { token: null });
    expect(other).toMatchObject({ status: 200, json: { public: true } });
  });

  it('refuses to build without a usable token', () => {
    expect(() => requireBearerToken({ token: '', logger: silentLogger })).toThrow(HttpConfigError);
    expect(() => requireBearerToken({ token: 'short', logger: silentLogger })).toThrow(/at least 16 characters/);
  });

  it('reads the token from the header', () => {
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('BEARER  abc ')).toBe('abc');
    expect(bearerTokenOf('Bearer a b')).toBeUndefined();
    expect(bearerTokenOf(undefined)).toBeUndefined();
  });
});
