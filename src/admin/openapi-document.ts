import { z } from 'zod';

import { PROBLEM_STATUS, PROBLEM_TITLES } from '../http/problem.ts';
import { ADMIN_SCOPE } from '../provider/scopes.ts';
import type { AppErrorCode } from '../services/app-error.ts';
import type { AdminRoute } from './admin-route.ts';
import { problemSchema } from './common-schemas.ts';
import type { NamedSchema } from './named-schema.ts';

type JsonObject = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';
/** Problems any operation may answer with, on top of its own. */
const COMMON_PROBLEMS: readonly AppErrorCode[] = ['unauthorized', 'forbidden', 'store_unavailable'];

/**
 * The OpenAPI 3.1 document of the admin API, generated from the routes' own zod schemas
 * (z.toJSONSchema, JSON Schema 2020-12 — the dialect OpenAPI 3.1 uses), so it describes exactly
 * what the handlers validate. Request bodies are rendered as zod parses input, responses as the
 * handlers' output.
 */
export function buildOpenApiDocument(routes: readonly AdminRoute[], issuer: string): JsonObject {
  const inputs = new Map<string, NamedSchema>();
  const outputs = new Map<string, NamedSchema>([[problemSchema.name, problemSchema]]);
  const paths: Record<string, JsonObject> = {};

  for (const route of routes) {
    if (route.body) addNamed(inputs, route.body);
    const responses: JsonObject = {};
    for (const [status, response] of Object.entries(route.responses)) {
      if (response.body) addNamed(outputs, response.body);
      responses[status] = {
        description: response.description,
        ...(response.etag
          ? { headers: { ETag: { description: 'The version', schema: { type: 'string' } } } }
          : {}),
        ...(response.body ? { content: jsonContent('application/json', response.body) } : {}),
      };
    }
    for (const code of [...route.problems, ...COMMON_PROBLEMS]) {
      responses[String(PROBLEM_STATUS[code])] ??= {
        description: `${PROBLEM_TITLES[code]} (${code})`,
        content: jsonContent('application/problem+json', problemSchema),
      };
    }
    responses['500'] = {
      description: 'Internal error (internal_error): the request id identifies it in the logs',
      content: jsonContent('application/problem+json', problemSchema),
    };

    const operation: JsonObject = {
      operationId: route.operationId,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      parameters: [
        ...parametersOf(route.params, 'path'),
        ...parametersOf(route.query, 'query'),
        ...route.headers.map((header) => ({
          name: header.name,
          in: 'header',
          description: header.description,
          schema: { type: 'string' },
        })),
      ],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: jsonContent('application/json', route.body),
            },
          }
        : {}),
      responses,
    };
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Tessera admin API',
      version: '1',
      description:
        'Manage clients, resource servers, users, signing keys and events. Authenticate with a Tessera access token from the client-credentials grant carrying the tessera:admin scope. Errors are RFC 9457 problem details.',
    },
    servers: [{ url: `${issuer}/admin/v1` }],
    security: [{ adminToken: [ADMIN_SCOPE] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: {
        ...componentSchemas(inputs, 'input'),
        ...componentSchemas(outputs, 'output'),
      },
      securitySchemes: {
        adminToken: {
          type: 'oauth2',
          description: 'Client credentials at Tessera’s own token endpoint',
          flows: {
            clientCredentials: {
              tokenUrl: `${issuer}/token`,
              scopes: { [ADMIN_SCOPE]: 'Administer Tessera' },
            },
          },
        },
      },
    },
  };
}

function addNamed(into: Map<string, NamedSchema>, named: NamedSchema): void {
  const known = into.get(named.name);
  if (known && known.schema !== named.schema) {
    throw new Error(`two different schemas are both named ${named.name}`);
  }
  into.set(named.name, named);
}

function jsonContent(mediaType: string, named: NamedSchema): JsonObject {
  return { [mediaType]: { schema: { $ref: `${COMPONENT_PREFIX}${named.name}` } } };
}

function componentSchemas(
  schemas: Map<string, NamedSchema>,
  io: 'input' | 'output',
): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const { name, schema } of schemas.values()) registry.add(schema, { id: name });
  const { schemas: converted } = z.toJSONSchema(registry, {
    io,
    uri: (id) => `${COMPONENT_PREFIX}${id}`,
  });
  return Object.fromEntries(
    Object.entries(converted).map(([name, schema]) => {
      // Components are embedded in the document: no dialect or id of their own.
      const embedded: JsonObject = { ...schema };
      delete embedded.$schema;
      delete embedded.$id;
      return [name, embedded];
    }),
  );
}

function parametersOf(schema: z.ZodObject, location: 'path' | 'query'): JsonObject[] {
  const json = z.toJSONSchema(schema, { io: 'input' }) as {
    properties?: Record<string, JsonObject>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (json.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}
