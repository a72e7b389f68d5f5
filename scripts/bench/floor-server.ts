/**
 * The benchmark's floor: the least a client-credentials token endpoint can do and still be a
 * fair one — Koa, a client held in memory with its secret stored as an HMAC-SHA-256 compared in
 * constant time, the grant, resource (RFC 8707) and scope checked, and an ES256 JWT access token
 * (RFC 9068 claims) signed with jose. No logging, no metrics, no store. Run as its own process by
 * scripts/bench/targets.ts; it reads its fixtures from BENCH_FLOOR (JSON, see FloorFixtures) and
 * is ready once `/ready` answers. Tessera ÷ floor is what Tessera (and oidc-provider) cost above
 * the work the protocol itself needs.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

import { generateKeyPair, SignJWT } from 'jose';
import Koa from 'koa';

import type { BenchFixtures } from './fixtures.ts';

export interface FloorFixtures extends BenchFixtures {
  readonly port: number;
}

const fixtures = JSON.parse(process.env['BENCH_FLOOR'] ?? '') as FloorFixtures;
const issuer = `http://127.0.0.1:${fixtures.port}`;
const pepper = randomBytes(32);
const hashSecret = (secret: string) => createHmac('sha256', pepper).update(secret).digest();

/** The one client, as a cache would hold it: its secret's HMAC, never the secret. */
const client = {
  clientId: fixtures.service.clientId,
  secretHash: hashSecret(fixtures.service.clientSecret),
  scopes: new Set([fixtures.scope]),
};
const { privateKey } = await generateKeyPair('ES256');
const kid = randomBytes(32).toString('base64url');
const TOKEN_TTL_S = 3600;

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

function fail(ctx: Koa.Context, status: number, error: string, description: string): void {
  ctx.status = status;
  ctx.set(NO_STORE);
  if (status === 401) ctx.set('www-authenticate', 'Basic realm="floor"');
  ctx.body = { error, error_description: description };
}

/** client_secret_basic (RFC 6749 section 2.3.1): both parts are form-urlencoded. */
function authenticate(header: string | undefined): boolean {
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice(6), 'base64').toString();
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const id = decodeURIComponent(decoded.slice(0, colon));
  const secret = decodeURIComponent(decoded.slice(colon + 1));
  return id === client.clientId && timingSafeEqual(hashSecret(secret), client.secretHash);
}

async function readForm(req: Koa.Request['req']): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.path === '/ready') {
    ctx.body = 'ok';
    return;
  }
  if (ctx.path !== '/token' || ctx.method !== 'POST') {
    ctx.status = 404;
    return;
  }
  if (!authenticate(ctx.get('authorization'))) {
    fail(ctx, 401, 'invalid_client', 'client authentication failed');
    return;
  }
  const form = await readForm(ctx.req);
  if (form.get('grant_type') !== 'client_credentials') {
    fail(ctx, 400, 'unsupported_grant_type', 'unsupported grant_type requested');
    return;
  }
  if (form.get('resource') !== fixtures.jwtApi) {
    fail(ctx, 400, 'invalid_target', 'resource indicator is missing, or unknown');
    return;
  }
  const scope = form.get('scope') ?? '';
  if (!scope.split(' ').every((value) => client.scopes.has(value))) {
    fail(ctx, 400, 'invalid_scope', 'requested scope is not allowed');
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const accessToken = await new SignJWT({ client_id: client.clientId, scope })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
    .setIssuer(issuer)
    .setSubject(client.clientId)
    .setAudience(fixtures.jwtApi)
    .setIssuedAt(now)
    .setExpirationTime(now + TOKEN_TTL_S)
    .setJti(randomUUID())
    .sign(privateKey);
  ctx.set(NO_STORE);
  ctx.body = {
    access_token: accessToken,
    expires_in: TOKEN_TTL_S,
    token_type: 'Bearer',
    scope,
  };
});

const callback = app.callback();
const server = createServer((req, res) => void callback(req, res));
server.listen(fixtures.port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
