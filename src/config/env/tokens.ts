import { defineGroup, flag, integer } from '../env-variable.ts';

const DAY = 86_400;

export const tokenVariables = defineGroup({
  title: 'Tokens and sessions',
  about: 'Lifetimes in seconds.',
  variables: {
    TESSERA_ACCESS_TOKEN_TTL: {
      ...integer({ min: 1, max: DAY, default: 3600, unit: 'seconds' }),
      description:
        'seconds; access tokens without a resource-server TTL, and the default TTL of new resource servers',
    },
    TESSERA_CLIENT_CREDENTIALS_TTL: {
      ...integer({ min: 1, max: DAY, default: 3600, unit: 'seconds' }),
      description: 'seconds; client-credentials tokens issued without a resource',
    },
    TESSERA_ID_TOKEN_TTL: {
      ...integer({ min: 1, max: DAY, default: 3600, unit: 'seconds' }),
      description: 'seconds an ID token is valid',
    },
    TESSERA_SESSION_TTL: {
      ...integer({ min: 1, max: 366 * DAY, default: 14 * DAY, unit: 'seconds' }),
      description:
        'seconds a sign-in session lasts when “Keep me signed in” is ticked (otherwise until the browser closes)',
    },
    TESSERA_REFRESH_TOKEN_TTL: {
      ...integer({ min: 1, max: 366 * DAY, default: 14 * DAY, unit: 'seconds' }),
      description: 'seconds each refresh token lives; every use rotates it',
    },
    TESSERA_GRANT_TTL: {
      ...integer({ min: 1, max: 3 * 366 * DAY, default: 90 * DAY, unit: 'seconds' }),
      description:
        'seconds a grant (remembered consent, and the refresh tokens under it) lasts at most',
    },
    TESSERA_CLIENT_SECRET_BYTES: {
      ...integer({ min: 32, max: 128, default: 32 }),
      description: 'random bytes in a generated client secret',
    },
    TESSERA_DPOP_REQUIRE_NONCE: {
      ...flag(false),
      description:
        'every DPoP proof must carry a nonce Tessera issued (RFC 9449 section 8; see [DPoP](protocol.md#dpop-sender-constrained-tokens)); `false`: nonces offered, not required',
    },
  },
  rules: [
    {
      variable: 'TESSERA_GRANT_TTL',
      rule: 'at least `TESSERA_REFRESH_TOKEN_TTL`',
      check: (env) =>
        env.TESSERA_GRANT_TTL < env.TESSERA_REFRESH_TOKEN_TTL
          ? `must be at least TESSERA_REFRESH_TOKEN_TTL (${env.TESSERA_REFRESH_TOKEN_TTL})`
          : undefined,
    },
  ],
});
