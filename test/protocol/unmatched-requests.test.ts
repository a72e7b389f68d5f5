import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sendHostile } from '../helpers/hostile-requests.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';
import { providerMethodsFor } from '../../src/provider/unmatched-requests.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

/** Wrong methods and unknown paths: 405 with Allow or 404, in the shape the caller reads. */
describe('requests no route serves', () => {
  let t: TestTessera;

  beforeAll(async () => {
    t = await startTestTessera();
  });
  afterAll(() => t.stop());

  const send = (method: string, path: string, headers: Record<string, string> = {}) =>
    sendHostile(t.issuer, { method, path, headers });

  const refusedAsUnmatched = (answer: { status: number; text: string }) =>
    answer.status === 405 && answer.text.includes('is not supported at this endpoint');

  it("matches oidc-provider's own routes: each listed method is served, every other is 405", async () => {
    for (const [upper, allowed] of providerMethodsFor(t.issuer)) {
      const path = upper.toLowerCase();
      for (const method of METHODS) {
        const answer = await send(method, path);
        const label = `${method} ${path} → ${answer.status} ${answer.text.slice(0, 200)}`;
        if (allowed.includes(method)) {
          expect(refusedAsUnmatched(answer), label).toBe(false);
        } else {
          expect(answer.status, label).toBe(405);
          expect(answer.headers.allow, label).toBe(allowed.join(', '));
          if (method !== 'HEAD') {
            expect(JSON.parse(answer.text), label).toMatchObject({ error: 'invalid_request' });
          }
        }
      }
    }
  });

  it('answers a wrong method at the token endpoint with an OAuth error body', async () => {
    const answer = await send('GET', '/token');
    expect(answer.status).toBe(405);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.text)).toEqual({
      error: 'invalid_request',
      error_description: 'GET is not supported at this endpoint',
    });
  });

  it('matches paths as oidc-provider does: in any case, with one trailing slash', async () => {
    expect((await send('GET', '/TOKEN')).headers.allow).toBe('POST, OPTIONS');
    expect((await send('GET', '/token/')).headers.allow).toBe('POST, OPTIONS');
  });

  it('answers an unknown path with 404 invalid_request JSON to a machine', async () => {
    const answer = await send('GET', '/nothing-here');
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'invalid_request' });
  });

  it('answers an unknown path with the 404 error page to a browser', async () => {
    const answer = await send('GET', '/nothing-here', BROWSER);
    expect(answer.status).toBe(404);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.text).toContain('invalid_request');
  });

  it('answers a wrong method on a browser endpoint with the 405 error page', async () => {
    const answer = await send('PUT', '/session/end', BROWSER);
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD, POST');
    expect(answer.contentType).toMatch(/^text\/html/);
  });

  it('answers a wrong method on the health and metrics routes with 405 problem+json', async () => {
    for (const [method, path] of [
      ['POST', '/healthz'],
      ['DELETE', '/readyz'],
      ['PROPFIND', '/metrics'],
    ] as const) {
      const answer = await send(method, path);
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.allow, `${method} ${path}`).toBe('GET');
      expect(answer.contentType).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.text)).toMatchObject({ code: 'method_not_allowed', status: 405 });
    }
  });

  it('answers a wrong method on the sign-in pages with the 405 error page', async () => {
    for (const [method, path, allow] of [
      ['PUT', '/interaction/some-uid', 'GET, HEAD'],
      ['GET', '/interaction/some-uid/login', 'POST'],
      ['DELETE', '/interaction/some-uid/confirm', 'POST'],
      ['GET', '/interaction/some-uid/abort', 'POST'],
    ] as const) {
      const answer = await send(method, path, BROWSER);
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.allow, `${method} ${path}`).toBe(allow);
      expect(answer.contentType).toMatch(/^text\/html/);
    }
  });
});
