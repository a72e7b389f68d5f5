import { z } from 'zod';

import {
  blankAsUnset,
  defineGroup,
  GENERATE_HINT,
  secretText,
  type EnvRule,
} from '../env-variable.ts';

const DEVELOPMENT_DEFAULT = 'development: generated into the data dir (`dev-secrets.json`)';

const base64urlKey = z.string().transform((value, ctx) => {
  const key = Buffer.from(value, 'base64url');
  if (key.length !== 32 || key.toString('base64url') !== value.replace(/=+$/, '')) {
    ctx.addIssue(`must be 32 bytes encoded as base64url; ${GENERATE_HINT}`);
  }
  return key;
});

const cookieKeyList = z.string().transform((value, ctx) => {
  const keys = value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0 || keys.some((key) => key.length < 32)) {
    ctx.addIssue('each comma-separated key needs >= 32 characters');
  }
  return keys;
});

/** Production refuses the generated development secrets: each must be set. */
const requiredInProduction = <Name extends string>(
  variable: Name,
): EnvRule<{ readonly [name in Name]: unknown }> => ({
  variable,
  production: true,
  rule: 'required',
  check: (env, production) =>
    production && env[variable] === undefined
      ? `required when NODE_ENV=production; ${GENERATE_HINT}`
      : undefined,
});

export const secretVariables = defineGroup({
  title: 'Secrets',
  about:
    "Each is a secret, never logged. Outside production, any left unset is generated once into `dev-secrets.json` in the data dir (mode 0600) and Tessera warns at every start that uses it. Generate one: `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`.",
  variables: {
    TESSERA_KEY_ENCRYPTION_KEY: {
      schema: blankAsUnset.pipe(base64urlKey.optional()),
      description: 'key encrypting private signing keys at rest (AES-256-GCM)',
      default: DEVELOPMENT_DEFAULT,
      allowed: '32 bytes, base64url',
    },
    TESSERA_COOKIE_KEYS: {
      schema: blankAsUnset.pipe(cookieKeyList.optional()),
      description: 'cookie signing keys; the first signs, all verify',
      default: DEVELOPMENT_DEFAULT,
      allowed: 'comma-separated, each at least 32 characters',
    },
    TESSERA_SECRET_PEPPER: {
      ...secretText(32),
      description: 'HMAC key for client-secret hashes',
      default: DEVELOPMENT_DEFAULT,
    },
  },
  rules: [
    requiredInProduction('TESSERA_KEY_ENCRYPTION_KEY'),
    requiredInProduction('TESSERA_COOKIE_KEYS'),
    requiredInProduction('TESSERA_SECRET_PEPPER'),
  ],
});
