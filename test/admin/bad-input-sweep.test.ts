import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import {
  expectRefusal,
  sendHostile,
  type HostileRequest,
  type RefusalShape,
} from '../helpers/hostile-requests.ts';
import { basicAuth, postForm, registerClient } from '../helpers/oauth-fixtures.ts';
import { CHEAP_ARGON2, startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];

interface Operation {
  readonly method: Method;
  /** OpenAPI template, e.g. `/clients/{client_id}`. */
  readonly path: string;
  readonly hasBody: boolean;
  readonly takesIfMatch: boolean;
  readonly isList: boolean;
  /** Request body properties and their JSON types, for wrong-type bodies. */
  readonly bodyTypes: Record<string, string>;
}

const JSON_TYPE = { 'content-type': 'application/json' };

/** Ids no store holds, with the characters that break naive routing, decoding or storage. */
const HOSTILE_IDS = [
  '..',
  '..%2F..%2Fclients',
  '%2F',
  '%ZZ',
  '%C0%AF',
  'a%00b',
  'x'.repeat(300),
  '__proto__',
  'constructor',
  '%F0%9F%92%A9',
];

const nest = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Bodies no operation may accept: [label, content-type, raw body]. */
const HOSTILE_BODIES: [string, string | undefined, string | Buffer][] = [
  ['no Content-Type', undefined, '{"name":"x"}'],
  ['text/plain', 'text/plain', '{"name":"x"}'],
  ['a form', 'application/x-www-form-urlencoded', 'name=x&version=1'],
  ['malformed JSON', 'application/json', '{"name":'],
  ['a JSON array', 'application/json', '[1,2]'],
  ['a JSON string', 'application/json', '"name"'],
  ['JSON null', 'application/json', 'null'],
  ['a JSON number', 'application/json', '12345'],
  ['JSON nested 5,000 deep', 'application/json', nest(5_000)],
  ['JSON nested 100,000 deep', 'application/json', `${'['.repeat(30_000)}${']'.repeat(30_000)}`],
  ['a __proto__ key', 'application/json', '{"__proto__":{"admin":true},"version":"x"}'],
  ['a constructor.prototype key', 'application/json', '{"constructor":{"prototype":{"x":1}}}'],
  ['a 1 MB body', 'application/json', `{"name":"${'a'.repeat(1024 * 1024)}"}`],
  [
    'invalid UTF-8',
    'application/json',
    Buffer.from([0x7b, 0x22, 0xff, 0xc0, 0x22, 0x3a, 0x31, 0x7d]),
  ],
  ['JSON in another charset', 'application/json; charset=utf-16', '{"x":1}'],
];

const HOSTILE_QUERIES = [
  'limit=-1',
  'limit=0',
  'limit=101',
  'limit=abc',
  'limit=1e309',
  'limit=99999999999999999999',
  'limit=1&limit=2',
  'limit[]=1',
  'cursor=!!!',
  'cursor=',
  `cursor=${'c'.repeat(10_000)}`,
  'cursor=__proto__',
  'cursor=%ZZ',
  'cursor=%00',
  '__proto__[admin]=1',
  'constructor=x',
  'access_token=abc',
];

const HOSTILE_IF_MATCH = [
  '"abc',
  'W/"1"',
  '"1", "2"',
  '"99999999999999999999"',
  '"-1"',
  'garbage\u00e9',
  '""',
];

const HOSTILE_AUTHORIZATION: [string, string | undefined][] = [
  ['no Authorization', undefined],
  ['Bearer without a token', 'Bearer'],
  ['Bearer garbage', 'Bearer !!not-a-token!!'],
  ['Bearer a 10 KB token', `Bearer ${'t'.repeat(10_000)}`],
  ['Bearer non-ASCII bytes', 'Bearer \u00e9\u00ff'],
  ['Bearer two tokens', 'Bearer a b'],
  ['Basic without a colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
  ['Basic with bad base64', 'Basic %%%'],
  ['an unknown scheme', 'Digest x'],
];

interface OpenApiDocument {
  paths: Record<string, Partial<Record<Method, Record<string, unknown>>>>;
  components: { schemas: Record<string, { properties?: Record<string, { type?: unknown }> }> };
}

/** The operations the served OpenAPI document describes. */
function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const operation = item[method];
      if (!operation) return [];
      const parameters = (operation.parameters ?? []) as { name: string; in: string }[];
      const ref = JSON.stringify(operation.requestBody ?? '').match(/schemas\/(\w+)/)?.[1];
      const properties = (ref && document.components.schemas[ref]?.properties) || {};
      return [
        {
          method,
          path,
          hasBody: operation.requestBody !== undefined,
          takesIfMatch: parameters.some((p) => p.in === 'header' && /if-match/i.test(p.name)),
          isList: parameters.some((p) => p.in === 'query' && p.name === 'limit'),
          bodyTypes: Object.fromEntries(
            Object.entries(properties).map(([name, schema]) => [name, String(schema.type)]),
          ),
        },
      ];
    }),
  );
}

/** Same type, wrong kind: numbers for strings, strings for everything else. */
const wrongTypes = (types: Record<string, string>) =>
  JSON.stringify(
    Object.fromEntries(
      Object.entries(types).map(([name, type]) => [name, type === 'string' ? 12345 : 'x']),
    ),
  );

/**
 * Every bad input at /admin/v1 gets a 4xx RFC 9457 problem — never a 5xx or a stack trace —
 * nothing stored changes, and Tessera keeps issuing tokens afterwards.
 */
describe('bad input at the admin API', () => {
  let t: TestTessera;
  let call: AdminCall;
  let token: string;
  /** A valid token of a client that was not granted tessera:admin. */
  let plainToken: string;
  let operations: Operation[];
  /** Real ids of the seeded records, by path parameter name. */
  let ids: Record<string, string>;
  let snapshot: () => Promise<unknown>;
  let before: unknown;

  beforeAll(async () => {
    t = await startTestTessera({
      ...CHEAP_ARGON2,
    });
    token = (await issueToken(t)).token;
    call = adminClient(t, token);
    plainToken = (await issueToken(t, { scope: '' })).token;
    const client = await call('POST', '/clients', { body: { name: 'seeded' } });
    const api = await call('POST', '/resource-servers', {
      body: { audience: 'https://api.example.com', scopes: ['read'] },
    });
    const user = await call('POST', '/users', {
      body: { username: 'seeded', password: 'correct horse battery staple' },
    });
    const secrets = await call('GET', `/clients/${client.body.client_id}/secrets`);
    const keys = await call('GET', '/keys');
    ids = {
      client_id: client.body.client_id,
      secret_id: secrets.body.items[0].id,
      id: user.body.id,
      kid: keys.body.items[0].kid,
    };
    const resourceServerId = api.body.id as string;
    snapshot = async () => ({
      clients: (await call('GET', '/clients?limit=100')).body,
      secrets: (await call('GET', `/clients/${ids.client_id}/secrets`)).body,
      resourceServers: (await call('GET', `/resource-servers/${resourceServerId}`)).body,
      users: (await call('GET', '/users?limit=100')).body,
      keys: (await call('GET', '/keys')).body,
    });
    before = await snapshot();
    const response = await fetch(`${t.issuer}/admin/v1/openapi.json`);
    const document = (await response.json()) as OpenApiDocument;
    operations = operationsOf(document);
  });
  afterAll(() => t.stop());

  const send = (probe: HostileRequest) =>
    sendHostile(t.issuer, {
      ...probe,
      path: `/admin/v1${probe.path}`,
      headers: { authorization: `Bearer ${token}`, ...probe.headers },
    });

  /** Sends every probe and returns the ones answered wrongly, so one run names them all. */
  async function misanswered(probes: [string, HostileRequest, RefusalShape?][]) {
    const wrong: string[] = [];
    for (const [label, probe, shape] of probes) {
      try {
        expectRefusal(await send(probe), shape ?? 'problem', label);
      } catch (error) {
        wrong.push((error as Error).message.split('\n').slice(0, 3).join(' | '));
      }
    }
    return wrong;
  }

  const fill = (path: string, value: (name: string) => string) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => value(name));

  it('covers every operation of the document', () => {
    expect(operations.length).toBeGreaterThanOrEqual(24);
  });

  it('refuses malformed and foreign Authorization headers', async () => {
    const probes = HOSTILE_AUTHORIZATION.map(([label, header]): [string, HostileRequest] => [
      label,
      { path: '/clients', headers: { authorization: header ?? '' } },
    ]);
    probes.push([
      'a token without tessera:admin',
      { path: '/clients', headers: { authorization: `Bearer ${plainToken}` } },
    ]);
    expect(await misanswered(probes)).toEqual([]);
  });

  it('refuses hostile ids in every path parameter', async () => {
    const probes = operations
      .filter((op) => op.path.includes('{'))
      .flatMap((op) =>
        HOSTILE_IDS.map((id): [string, HostileRequest] => [
          `${op.method.toUpperCase()} ${op.path} with ${id.slice(0, 20)}`,
          {
            method: op.method.toUpperCase(),
            path: fill(op.path, () => id),
            headers: { ...JSON_TYPE, 'if-match': '"1"' },
            ...(op.hasBody ? { body: '{}' } : {}),
          },
        ]),
      );
    expect(await misanswered(probes)).toEqual([]);
  });

  it('refuses hostile bodies and wrong-typed fields at every operation that takes a body', async () => {
    const probes = operations
      .filter((op) => op.hasBody)
      .flatMap((op) => {
        const path = fill(op.path, (name) => ids[name] ?? 'unknown');
        const method = op.method.toUpperCase();
        const bodies: [string, string | undefined, string | Buffer][] = [
          ...HOSTILE_BODIES,
          ['wrong-typed fields', 'application/json', wrongTypes(op.bodyTypes)],
        ];
        return bodies.map(([label, type, body]): [string, HostileRequest] => [
          `${method} ${op.path} with ${label}`,
          {
            method,
            path,
            headers: { ...(type ? { 'content-type': type } : {}), 'if-match': '"1"' },
            body,
          },
        ]);
      });
    expect(await misanswered(probes)).toEqual([]);
  });

  it('refuses hostile limits, cursors and query keys on every list', async () => {
    const probes = operations
      .filter((op) => op.isList)
      .flatMap((op) =>
        HOSTILE_QUERIES.map((query): [string, HostileRequest] => [
          `GET ${op.path}?${query.slice(0, 30)}`,
          { path: `${op.path}?${query}` },
        ]),
      );
    expect(await misanswered(probes)).toEqual([]);
  });

  it('refuses malformed If-Match on every conditional update', async () => {
    const probes = operations
      .filter((op) => op.takesIfMatch)
      .flatMap((op) =>
        HOSTILE_IF_MATCH.map((ifMatch): [string, HostileRequest] => [
          `${op.method.toUpperCase()} ${op.path} If-Match ${ifMatch}`,
          {
            method: op.method.toUpperCase(),
            path: fill(op.path, (name) => ids[name] ?? 'unknown'),
            headers: { ...JSON_TYPE, 'if-match': ifMatch },
            body: '{"name":"changed"}',
          },
        ]),
      );
    expect(probes.length).toBeGreaterThan(0);
    expect(await misanswered(probes)).toEqual([]);
  });

  it('refuses every method a path does not offer, and unknown paths', async () => {
    const paths = [...new Set(operations.map((op) => op.path))];
    const probes = paths.flatMap((path) =>
      [...METHODS, 'propfind']
        .filter((method) => !operations.some((op) => op.path === path && op.method === method))
        .map((method): [string, HostileRequest] => [
          `${method.toUpperCase()} ${path}`,
          { method: method.toUpperCase(), path: fill(path, (name) => ids[name] ?? 'x') },
        ]),
    );
    probes.push(
      [
        'POST /openapi.json',
        { method: 'POST', path: '/openapi.json', headers: JSON_TYPE, body: '{' },
      ],
      ['an unknown path', { path: '/nothing' }],
      ['a traversal', { path: '/..%2F..%2Fjwks' }],
      ['a NUL in the path', { path: '/clients%00' }],
    );
    expect(await misanswered(probes)).toEqual([]);
  });

  it('lost and changed nothing stored while refusing all of the above', async () => {
    expect(await snapshot()).toEqual(before);
  });

  it('still issues a client-credentials token and lets no key reach Object.prototype', async () => {
    const client = await registerClient(t);
    const result = await postForm(`${t.issuer}/token`, 'grant_type=client_credentials', {
      authorization: basicAuth(client.clientId, client.clientSecret),
    });
    expect(result.status).toBe(200);
    expect(Object.keys(Object.prototype)).toEqual([]);
  });

  it('logged no server error', () => {
    const errors = t.logs.filter((line) => Number(line.level) >= 50);
    expect(errors.map((line) => `${String(line.msg)}: ${JSON.stringify(line.err)}`)).toEqual([]);
  });
});
