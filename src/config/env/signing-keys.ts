import { defineGroup, integer, optionalInteger } from '../env-variable.ts';

const DAY = 86_400;

/** Unset, the publication lead is its floor: 2 × TESSERA_JWKS_MAX_AGE. */
export const publicationLeadOf = (env: {
  readonly TESSERA_KEY_PUBLICATION_LEAD: number | undefined;
  readonly TESSERA_JWKS_MAX_AGE: number;
}): number => env.TESSERA_KEY_PUBLICATION_LEAD ?? 2 * env.TESSERA_JWKS_MAX_AGE;

export const signingKeyVariables = defineGroup({
  title: 'Signing keys',
  about:
    'The signing-key schedule, in seconds (see [Signing keys](signing-keys.md)). A `next` key is published for at least twice the JWKS max-age before it signs, so relying parties can fetch it first, and a rotation interval shorter than that lead plus one poll could never be kept.',
  variables: {
    TESSERA_JWKS_MAX_AGE: {
      ...integer({ min: 1, max: DAY, default: 600, unit: 'seconds' }),
      description: 'seconds relying parties may cache `/jwks` (`Cache-Control: public, max-age`)',
    },
    TESSERA_KEY_ROTATION_INTERVAL: {
      ...integer({ min: 1, max: 365 * DAY, default: 30 * DAY, unit: 'seconds' }),
      description: 'seconds a signing-key generation signs before the next one takes over',
    },
    TESSERA_KEY_PUBLICATION_LEAD: {
      ...optionalInteger({ min: 1, max: 30 * DAY, unit: 'seconds' }),
      description: 'seconds a `next` key is published before it may sign',
      default: '2 × `TESSERA_JWKS_MAX_AGE`',
    },
    TESSERA_KEY_RETIREMENT_GRACE: {
      ...integer({ min: 0, max: 7 * DAY, default: 600, unit: 'seconds' }),
      description:
        'seconds a retired key stays published beyond the longest token lifetime (clock skew)',
    },
    TESSERA_KEY_POLL_INTERVAL: {
      ...integer({ min: 1, max: 3600, default: 15, unit: 'seconds' }),
      description:
        "seconds between each replica's checks of the stored keys (bounds how fast a change spreads)",
    },
  },
  rules: [
    {
      variable: 'TESSERA_KEY_PUBLICATION_LEAD',
      rule: 'at least 2 × `TESSERA_JWKS_MAX_AGE`',
      check: (env) => {
        const floor = 2 * env.TESSERA_JWKS_MAX_AGE;
        return publicationLeadOf(env) < floor
          ? `must be at least 2 × TESSERA_JWKS_MAX_AGE (${floor} s), so relying parties can fetch a key before it signs`
          : undefined;
      },
    },
    {
      variable: 'TESSERA_KEY_ROTATION_INTERVAL',
      rule: 'at least the publication lead plus `TESSERA_KEY_POLL_INTERVAL`',
      check: (env) => {
        const minimum = publicationLeadOf(env) + env.TESSERA_KEY_POLL_INTERVAL;
        return env.TESSERA_KEY_ROTATION_INTERVAL < minimum
          ? `must be at least the publication lead plus the poll interval (${minimum} s)`
          : undefined;
      },
    },
  ],
});
