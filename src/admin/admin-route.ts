import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import { AppError, type AppErrorCode } from '../services/app-error.ts';
import { readJsonBody } from './json-body.ts';
import type { NamedSchema } from './named-schema.ts';
import { etagFor } from './preconditions.ts';

export type HttpMethod = 'get' | 'post' | 'patch' | 'put' | 'delete';

/** Who is calling: the client id of the `tessera:admin` token. */
export interface AdminPrincipal {
  readonly clientId: string;
}

declare module 'koa' {
  interface DefaultState {
    admin?: AdminPrincipal;
  }
}

export interface ResponseSpec {
  readonly description: string;
  /** Absent for bodiless responses (204). */
  readonly body?: NamedSchema;
  /** The response carries the resource's ETag. */
  readonly etag?: boolean;
}

export interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
  /** The resource version, sent as a strong ETag. */
  readonly version?: number;
  /** What the change was about, for the audit log (defaults to the path parameters). */
  readonly target?: string;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly admin: AdminPrincipal;
  readonly header: (name: string) => string | undefined;
}

type AnyObject = z.ZodObject;

export interface RouteSpec<P extends AnyObject, Q extends AnyObject, B extends z.ZodType> {
  readonly method: HttpMethod;
  /** OpenAPI path template relative to /admin/v1, e.g. `/clients/{client_id}`. */
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description?: string;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: NamedSchema<B>;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  /** Problems this operation answers with, besides 401/403/500 that every operation has. */
  readonly problems?: readonly AppErrorCode[];
  /** Request headers the operation reads (documented as parameters). */
  readonly headers?: readonly { name: string; description: string }[];
  handle(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>): Promise<RouteResult>;
}

/** A route with its types erased, as the router and the OpenAPI generator see it. */
export interface AdminRoute {
  readonly method: HttpMethod;
  readonly path: string;
  readonly operationId: string;
  readonly tag: string;
  readonly summary: string;
  readonly description: string | undefined;
  readonly params: AnyObject;
  readonly query: AnyObject;
  readonly body: NamedSchema | undefined;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  readonly problems: readonly AppErrorCode[];
  readonly headers: readonly { name: string; description: string }[];
  readonly handle: (input: RouteInput<unknown, unknown, unknown>) => Promise<RouteResult>;
}

const EMPTY = z.object({}).strict();

/**
 * Declares one admin operation: its zod schemas for path, query, body and every response
 * (checked on the way in and on the way out, like Logto's koaGuard) and its handler. The same
 * declaration feeds the OpenAPI document, so the two cannot drift apart.
 */
export function defineRoute<
  P extends AnyObject = typeof EMPTY,
  Q extends AnyObject = typeof EMPTY,
  B extends z.ZodType = z.ZodUndefined,
>(spec: RouteSpec<P, Q, B>): AdminRoute {
  return {
    method: spec.method,
    path: spec.path,
    operationId: spec.operationId,
    tag: spec.tag,
    summary: spec.summary,
    description: spec.description,
    params: spec.params ?? EMPTY,
    query: spec.query ?? EMPTY,
    body: spec.body,
    responses: spec.responses,
    problems: spec.problems ?? [],
    headers: spec.headers ?? [],
    handle: (input) => spec.handle(input as RouteInput<z.output<P>, z.output<Q>, z.output<B>>),
  };
}

/** `/clients/{client_id}` → `/clients/:client_id` (path-to-regexp syntax). */
export const toRouterPath = (path: string): string => path.replace(/\{(\w+)\}/g, ':$1');

/** Registers each route's guarded handler on the router. */
export function mountRoutes(router: Router, routes: readonly AdminRoute[]): void {
  for (const route of routes) {
    router[route.method](route.operationId, toRouterPath(route.path), async (ctx) => {
      await runRoute(route, ctx);
    });
  }
}

async function runRoute(route: AdminRoute, ctx: Context): Promise<void> {
  const admin = ctx.state.admin;
  if (!admin) throw new Error('admin route reached without an authenticated admin');
  const params = parseInput(route.params, ctx.params, 'path');
  const query = parseInput(route.query, ctx.query, 'query');
  const body = route.body
    ? parseInput(route.body.schema, await bodyOrEmpty(ctx), 'body')
    : undefined;

  const result = await route.handle({
    params,
    query,
    body,
    admin,
    header: (name) => ctx.get(name) || undefined,
  });

  const response = route.responses[result.status];
  if (!response) throw new Error(`${route.operationId} answered an undeclared ${result.status}`);
  ctx.status = result.status;
  if (response.body) {
    const checked = response.body.schema.safeParse(result.body);
    if (!checked.success) {
      // A bug on our side: say nothing to the caller, log which field broke the contract.
      throw new Error(
        `${route.operationId} response broke its ${response.body.name} schema: ${z.prettifyError(checked.error)}`,
      );
    }
    ctx.body = checked.data;
  }
  if (response.etag && result.version !== undefined) ctx.set('etag', etagFor(result.version));

  if (route.method !== 'get') {
    // Every admin change is logged: who, what, on what, when (the log line's time). No bodies,
    // so no secrets.
    ctx.state.log.info(
      {
        admin: admin.clientId,
        action: route.operationId,
        target: result.target ?? (Object.values(params as object).join('/') || undefined),
        status: result.status,
      },
      'admin change',
    );
  }
}

/**
 * The JSON body, or `{}` when the request has none (an operation whose fields are all optional
 * may be called without one). Only an absent body is: a JSON `null` is a body, and the schema
 * refuses it like any other non-object.
 */
async function bodyOrEmpty(ctx: Context): Promise<unknown> {
  const body = await readJsonBody(ctx);
  return body === undefined ? {} : body;
}

function parseInput<T extends z.ZodType>(
  schema: T,
  value: unknown,
  where: 'path' | 'query' | 'body',
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field =
    issue.code === 'unrecognized_keys'
      ? [...issue.path, issue.keys[0]].join('.')
      : issue.path.join('.') || where;
  const message =
    issue.code === 'unrecognized_keys' ? `is not a known ${where} field` : issue.message;
  throw new AppError('validation_failed', `${field}: ${message}`, { field });
}
