import type { HostileRequest } from '../../helpers/hostile-requests.ts';
import { BROWSER, FORM, JSON_TYPE, MEGABYTE, refuse, type Case } from './case-table.ts';

export const METRICS_TOKEN = 'scrape-me-please-0123456789-abcdefghij';

const request =
  (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
  (): HostileRequest => ({ method, path, headers, ...(body === undefined ? {} : { body }) });

const scrape = (authorization: string) => request('GET', '/metrics', { authorization });

export const PUBLIC_DOCUMENT_CASES: Case[] = [
  refuse('POST /jwks', 'oauth', request('POST', '/jwks', FORM, 'x=1')),
  refuse('DELETE /jwks', 'oauth', request('DELETE', '/jwks')),
  refuse('/jwks with a junk query', 'ignored', request('GET', '/jwks?%ZZ=%C0%AF&__proto__[x]=1')),
  refuse(
    'POST discovery',
    'oauth',
    request('POST', '/.well-known/openid-configuration', JSON_TYPE, '{'),
  ),
  refuse(
    'discovery with a junk query',
    'ignored',
    request('GET', '/.well-known/openid-configuration?%ZZ&a[]=1'),
  ),
  refuse('POST /healthz', 'problem', request('POST', '/healthz', JSON_TYPE, '{')),
  refuse('/healthz with a junk query', 'ignored', request('GET', '/healthz?%ZZ=%00')),
  refuse('DELETE /readyz', 'problem', request('DELETE', '/readyz')),
  refuse('PROPFIND /healthz', 'problem', request('PROPFIND', '/healthz')),
  refuse('PURGE /token', 'oauth', request('PURGE', '/token')),
  refuse('/readyz with a 1 MB body', 'ignored', request('GET', '/readyz', FORM, MEGABYTE)),
  refuse('/metrics without its token', 'problem', request('GET', '/metrics')),
  refuse(
    '/metrics with Basic',
    'problem',
    scrape(`Basic ${Buffer.from('a:b').toString('base64')}`),
  ),
  refuse('/metrics with an empty Bearer', 'problem', scrape('Bearer ')),
  refuse('/metrics with a non-ASCII token', 'problem', scrape('Bearer \u00e9\u00ff')),
  refuse('/metrics with a 10 KB token', 'problem', scrape(`Bearer ${'m'.repeat(10_000)}`)),
  refuse(
    'POST /metrics',
    'problem',
    request('POST', '/metrics', { authorization: `Bearer ${METRICS_TOKEN}` }),
  ),
  refuse('an unknown path (browser)', 'page', request('GET', '/nothing-here', BROWSER)),
  refuse('an unknown path (machine)', 'oauth', request('GET', '/nothing-here')),
  refuse('an unknown path with %ZZ', 'page', request('GET', '/%ZZ/%C0%AF', BROWSER)),
  refuse('a ..%2F traversal', 'page', request('GET', '/..%2F..%2Fetc%2Fpasswd', BROWSER)),
  refuse('NUL in the path', 'oauth', request('GET', '/jwks%00')),
  refuse(
    'an absolute-form target elsewhere',
    'ignored',
    request('GET', 'http://evil.example/jwks'),
  ),
];
