/**
 * The benchmark's baseline: bare oidc-provider (the same version Tessera wraps) with its built-in
 * in-memory adapter, static clients compared in plaintext, no logging and no metrics, configured
 * for the grants and token formats the scenarios use. Run as its own process by
 * scripts/bench/bench.ts; it reads its fixtures from BENCH_BASELINE (JSON, see BaselineFixtures)
 * and is ready once its discovery document answers. With `durableStore` (the durable baseline)
 * it stores its models in a SQLite file through Tessera's own store instead
 * (durable-baseline-store.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors, type KoaContextWithOIDC } from 'oidc-provider';

import { openDurableBaselineStore } from './durable-baseline-store.ts';
import type { BenchFixtures } from './fixtures.ts';

export interface BaselineFixtures extends BenchFixtures {
  readonly port: number;
  /** The durable baseline: its SQLite file, and whether the store comes from dist/. */
  readonly durableStore?: { readonly file: string; readonly compiled: boolean } | undefined;
}

const fixtures = JSON.parse(process.env['BENCH_BASELINE'] ?? '') as BaselineFixtures;
const durableStore =
  fixtures.durableStore &&
  (await openDurableBaselineStore(fixtures.durableStore.file, fixtures.durableStore.compiled));
const issuer = `http://127.0.0.1:${fixtures.port}`;

const exportJwk = (alg: 'RS256' | 'ES256') => {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: alg };
};

/** The same two APIs Tessera registers: one answered with ES256 JWTs, one with opaque tokens. */
const resourceServers = new Map([
  [
    fixtures.jwtApi,
    {
      scope: fixtures.scope,
      audience: fixtures.jwtApi,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'ES256' } },
    },
  ],
  [
    fixtures.opaqueApi,
    { scope: fixtures.scope, audience: fixtures.opaqueApi, accessTokenFormat: 'opaque' },
  ],
]);

const provider = new Provider(issuer, {
  ...(durableStore ? { adapter: durableStore.adapter } : {}),
  clients: [
    {
      client_id: fixtures.service.clientId,
      client_secret: fixtures.service.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: fixtures.app.clientId,
      client_secret: fixtures.app.clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [fixtures.app.redirectUri],
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [exportJwk('ES256'), exportJwk('RS256')] },
  cookies: { keys: ['baseline-cookie-key-baseline-cookie-key'] },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: 3600,
    ClientCredentials: 3600,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 1_209_600,
    Grant: 7_776_000,
    Session: 1_209_600,
    Interaction: 3600,
  },
  features: {
    // The built-in pages accept any username and password: the baseline has no password check.
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    // Typed only inside a richAuthorizationRequests arm (see src/provider/create-provider.ts).
    introspection: { enabled: true } as unknown as { enabled: false },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: readonly string[]) =>
        oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx: KoaContextWithOIDC, indicator: string) => {
        const info = resourceServers.get(indicator);
        if (!info) throw new errors.InvalidTarget();
        return info as never;
      },
    },
  },
});

const callback = provider.callback();
const server = createServer((req, res) => void callback(req, res));
server.listen(fixtures.port, '127.0.0.1');
process.on('SIGTERM', () =>
  server.close(() => {
    durableStore?.close();
    process.exit(0);
  }),
);
