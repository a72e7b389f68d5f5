import { request } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '../helpers/tessera-process.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('the access log', () => {
  let t: TestTessera;
  beforeAll(async () => {
    t = await startTestTessera();
  });
  afterAll(() => t.stop());

  const requestLine = (requestId: string) =>
    waitFor(async () =>
      t.logs.find((line) => line.msg === 'request' && line.requestId === requestId),
    );

  it('writes one line per request with the request id the response carries, and no query', async () => {
    const response = await fetch(`${t.issuer}/jwks?debug=1`, {
      headers: { 'x-request-id': 'trace-42' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-42');
    const line = await requestLine('trace-42');
    expect(line).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/jwks',
      route: '/jwks',
      status: 200,
      requestId: 'trace-42',
    });
    expect(line.durationMs).toEqual(expect.any(Number));
    expect(JSON.stringify(line)).not.toContain('debug=1');
    expect(
      t.logs.filter((entry) => entry.requestId === 'trace-42' && entry.msg === 'request'),
    ).toHaveLength(1);
  });

  it('gives token-endpoint answers the request id, security headers and one access line', async () => {
    const response = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers: {
        'x-request-id': 'token-7',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&client_id=nobody&client_secret=wrong',
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-request-id')).toBe('token-7');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await requestLine('token-7')).toMatchObject({
      level: 30,
      method: 'POST',
      path: '/token',
      route: '/token',
      status: 401,
    });
    expect(JSON.stringify(t.logs)).not.toContain('wrong');
  });

  it('logs a generated request id when the caller sent none', async () => {
    const response = await fetch(`${t.issuer}/.well-known/openid-configuration`);
    const requestId = response.headers.get('x-request-id') ?? '';
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await requestLine(requestId)).toMatchObject({
      route: '/.well-known/openid-configuration',
    });
  });

  it('logs successful probes and scrapes at debug, so they do not drown the log', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      await fetch(`${t.issuer}${path}`, {
        headers: { 'x-request-id': `probe${path.replace('/', '-')}` },
      });
      expect(await requestLine(`probe${path.replace('/', '-')}`)).toMatchObject({
        level: 20,
        route: path,
      });
    }
  });

  it('keeps every line valid JSON whatever the path holds', async () => {
    // Raw quotes, backslashes and a JSON-looking tail (a URL string would be percent-encoded).
    const path = '/no/"such\\path","status":200,"x":"';
    const status = await new Promise<number>((resolve, reject) => {
      const { hostname, port } = new URL(t.issuer);
      const sent = request(
        { hostname, port, path, headers: { 'x-request-id': 'odd-path-1' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      sent.on('error', reject);
      sent.end();
    });
    expect(status).toBe(404);
    expect(await requestLine('odd-path-1')).toMatchObject({
      path,
      status: 404,
      route: 'unmatched',
    });
  });
});
