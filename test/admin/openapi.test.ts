import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { adminClient, issueToken, type AdminCall } from '../helpers/admin-fixtures.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

/** The admin API surface this issue promises; the document must describe exactly these. */
const OPERATIONS = [
  'POST /clients',
  'GET /clients',
  'GET /clients/{client_id}',
  'PATCH /clients/{client_id}',
  'DELETE /clients/{client_id}',
  'GET /clients/{client_id}/secrets',
  'POST /clients/{client_id}/secrets',
  'DELETE /clients/{client_id}/secrets/{secret_id}',
  'POST /clients/{client_id}/revoke-tokens',
  'POST /resource-servers',
  'GET /resource-servers',
  'GET /resource-servers/{id}',
  'PATCH /resource-servers/{id}',
  'DELETE /resource-servers/{id}',
  'POST /users',
  'GET /users',
  'GET /users/{id}',
  'PATCH /users/{id}',
  'POST /users/{id}/disable',
  'POST /users/{id}/enable',
  'POST /users/{id}/unlock',
  'PUT /users/{id}/password',
  'GET /users/{id}/factors',
  'POST /users/{id}/reset-factors',
  'GET /keys',
  'POST /keys/rotate',
  'POST /keys/{kid}/retire',
  'GET /events',
];

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  operationId: string;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

type Document = {
  openapi: string;
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, unknown> };
};

function operationsOf(document: Document): [string, string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] ? [[method, path, item[method]] as const] : [])),
  ) as [string, string, Operation][];
}

function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) =>
      key === '$ref' && typeof child === 'string' ? [child] : refsIn(child),
    );
  }
  return [];
}

describe('the admin OpenAPI document', () => {
  let t: TestTessera;
  let call: AdminCall;
  let document: Document;

  beforeAll(async () => {
    t = await startTestTessera();
    call = adminClient(t, (await issueToken(t)).token);
    const response = await fetch(`${t.issuer}/admin/v1/openapi.json`);
    expect(response.headers.get('content-type')).toContain('application/json');
    document = (await response.json()) as Document;
  });
  afterAll(() => t.stop());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    // swagger-parser validates against the official 3.1 schema and resolves every $ref.
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
  });

  it('describes exactly the operations of the admin API', () => {
    const described = operationsOf(document).map(
      ([method, path]) => `${method.toUpperCase()} ${path}`,
    );
    expect(described.sort()).toEqual([...OPERATIONS].sort());
  });

  it('documents every path parameter and uses unique operation ids', () => {
    const ids = new Set<string>();
    for (const [, path, operation] of operationsOf(document)) {
      expect(ids.has(operation.operationId)).toBe(false);
      ids.add(operation.operationId);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const declared = operation.parameters
        .filter((parameter) => parameter.in === 'path')
        .map((parameter) => parameter.name);
      expect(declared.sort()).toEqual(templated.sort());
    }
  });

  it('resolves every $ref to a component schema', () => {
    const refs = refsIn(document);
    expect(refs.length).toBeGreaterThan(OPERATIONS.length);
    for (const ref of refs) {
      const name = ref.replace('#/components/schemas/', '');
      expect(ref.startsWith('#/components/schemas/'), ref).toBe(true);
      expect(document.components.schemas, ref).toHaveProperty([name]);
    }
  });

  it('gives every operation problem+json answers for 401 and 403', () => {
    for (const [, , operation] of operationsOf(document)) {
      for (const status of ['401', '403', '500']) {
        expect(operation.responses[status]?.content).toHaveProperty(['application/problem+json']);
      }
    }
  });

  it("documents a resource server's introspectors in its requests and its responses", () => {
    const schemas = document.components.schemas as Record<
      string,
      { properties?: Record<string, { type?: unknown }>; required?: string[] }
    >;
    for (const name of ['ResourceServer', 'ResourceServerCreate', 'ResourceServerPatch']) {
      expect(schemas[name]?.properties, name).toHaveProperty(['introspectors']);
    }
    expect(schemas['ResourceServer']?.properties?.['introspectors']?.type).toBe('array');
    expect(schemas['ResourceServer']?.required).toContain('introspectors');
  });

  it("documents a user's profile fields in its requests and its responses", () => {
    const schemas = document.components.schemas as Record<
      string,
      { properties?: Record<string, unknown>; required?: string[] }
    >;
    for (const name of ['User', 'UserCreate', 'UserPatch']) {
      for (const field of ['name', 'given_name', 'family_name', 'locale', 'zoneinfo', 'picture']) {
        expect(schemas[name]?.properties, `${name}.${field}`).toHaveProperty([field]);
      }
    }
    expect(schemas['User']?.required).toContain('zoneinfo');
  });

  it('documents whether a resource server requires DPoP in its requests and its responses', () => {
    const schemas = document.components.schemas as Record<
      string,
      { properties?: Record<string, { type?: unknown }>; required?: string[] }
    >;
    for (const name of ['ResourceServer', 'ResourceServerCreate', 'ResourceServerPatch']) {
      expect(schemas[name]?.properties?.['require_dpop']?.type, name).toBe('boolean');
    }
    expect(schemas['ResourceServer']?.required).toContain('require_dpop');
  });

  it('documents If-Match and the 412 answer on every conditional change, deletes included', () => {
    for (const [method, path] of [
      ['patch', '/clients/{client_id}'],
      ['delete', '/clients/{client_id}'],
      ['patch', '/resource-servers/{id}'],
      ['delete', '/resource-servers/{id}'],
    ] as const) {
      const operation = document.paths[path]?.[method];
      expect(operation?.parameters, `${method} ${path}`).toContainEqual(
        expect.objectContaining({ name: 'If-Match', in: 'header' }),
      );
      expect(operation?.responses['412']?.content, `${method} ${path}`).toHaveProperty([
        'application/problem+json',
      ]);
    }
  });

  it('describes only operations the server actually routes', async () => {
    for (const [method, path] of operationsOf(document)) {
      const concrete = path.replace(/\{\w+\}/g, 'does-not-exist');
      const response = await call(method.toUpperCase(), concrete, {
        ...(method === 'get' || method === 'delete' ? {} : { body: {} }),
      });
      expect(
        { operation: `${method} ${path}`, status: response.status },
        JSON.stringify(response.body),
      ).not.toMatchObject({ status: 405 });
      expect(response.body?.detail ?? '').not.toMatch(/^no admin operation/);
    }
  });
});
