import { z } from 'zod';

import {
  blankAsUnset,
  defineGroup,
  flag,
  integer,
  oneOf,
  optionalText,
  secretText,
} from '../env-variable.ts';

/** Routes are served from the root: a path prefix would need every URL rewritten. */
const issuerOrigin = z.string().transform((value, ctx) => {
  const url = URL.parse(value);
  const problem = !url
    ? 'must be an absolute URL'
    : url.search || url.hash || url.pathname !== '/'
      ? 'must be an origin without path, query or fragment'
      : url.protocol !== 'https:' && url.protocol !== 'http:'
        ? 'must be an http(s) URL'
        : undefined;
  if (problem !== undefined) {
    ctx.addIssue(problem);
    return z.NEVER;
  }
  // oidc-provider compares issuers as strings: drop a trailing slash so both forms mean one issuer.
  return value.replace(/\/+$/, '');
});

export const serverVariables = defineGroup({
  title: 'Server',
  about: 'The HTTP listener and its public URL, shutdown, logs and metrics.',
  variables: {
    NODE_ENV: {
      ...optionalText(),
      description: '`production` turns development defaults into startup errors',
      default: 'unset',
      allowed: 'any text; only `production` changes anything',
    },
    PORT: {
      ...integer({ min: 0, max: 65_535, default: 3000 }),
      description: 'listen port (`0` = any free port)',
    },
    HOST: {
      ...optionalText(),
      description: 'listen address',
      default: '`127.0.0.1`; `0.0.0.0` in production',
      allowed: 'an address or host name',
    },
    TESSERA_ISSUER: {
      schema: blankAsUnset.pipe(issuerOrigin.optional()),
      description: 'issuer URL, also the public base URL; an origin without path',
      default: '`http://localhost:$PORT` (with `PORT=0`: from the bound port)',
      allowed: 'an `http` or `https` origin; a trailing `/` is dropped',
    },
    TESSERA_TRUST_PROXY: {
      ...flag(false),
      description:
        'take the client address from `X-Forwarded-For` set by a TLS-terminating proxy; URLs never come from `X-Forwarded-*` or `Host`',
    },
    TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS: {
      ...flag(false),
      description:
        'let outgoing requests (back-channel logout, client `jwks_uri`) reach loopback and private addresses; refused by default against SSRF',
    },
    TESSERA_SHUTDOWN_TIMEOUT_MS: {
      ...integer({ min: 1, max: 600_000, default: 10_000, unit: 'ms' }),
      description:
        'at shutdown, how long in-flight requests may finish, and again how long the shutdown steps may run',
    },
    TESSERA_SHUTDOWN_DELAY_MS: {
      ...integer({ min: 0, max: 120_000, default: 0, unit: 'ms' }),
      description:
        'at shutdown, how long to keep serving (with `/readyz` at 503) before closing the listener',
    },
    LOG_LEVEL: {
      ...oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
      description: 'pino log level',
    },
    TESSERA_METRICS_TOKEN: {
      ...secretText(32),
      description:
        'when set, `GET /metrics` requires `Authorization: Bearer <token>`; a secret, never logged',
      default: 'unset: `/metrics` is open',
    },
  },
  rules: [
    {
      variable: 'TESSERA_ISSUER',
      production: true,
      rule: 'an `https` URL (so set it: the `http` default is accepted only with `PORT=0`)',
      check: (env, production) => {
        const https = env.TESSERA_ISSUER?.startsWith('https:');
        // Unset, the issuer is http://localhost:$PORT; with PORT=0 it comes from the bound port.
        const refused = env.TESSERA_ISSUER === undefined ? env.PORT !== 0 : !https;
        return production && refused ? 'must be an https URL when NODE_ENV=production' : undefined;
      },
    },
  ],
});
