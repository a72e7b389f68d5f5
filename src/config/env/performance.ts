import { z } from 'zod';

import { defineGroup, integer } from '../env-variable.ts';

export const performanceVariables = defineGroup({
  title: 'Performance',
  about:
    'The hot path (see [Performance](benchmarks.md#performance)): how long a replica serves a client or resource server from memory, how often it asks the store whether the catalog changed, how many processes serve the port, and when a quiet process gives memory back.',
  variables: {
    TESSERA_CLIENT_CACHE_TTL: {
      ...integer({ min: 0, max: 300, default: 5, unit: 'seconds' }),
      description:
        'seconds a replica serves a client or resource server from memory (0 = always ask the store); the bound on staleness while catalog polling is off or fails',
    },
    TESSERA_CATALOG_POLL_MS: {
      schema: z.coerce
        .number()
        .int()
        .max(60_000)
        .refine((ms) => ms === 0 || ms >= 100, 'must be 0 (off) or from 100 to 60000')
        .default(1000),
      description:
        "ms between a replica's reads of the catalog generation: a client or resource-server change made anywhere applies here within about this (0 = off: the cache TTL alone bounds staleness)",
      default: '`1000`',
      allowed: '`0` (off), or 100–60000 ms (1 minute)',
    },
    TESSERA_IDLE_RECLAIM_AFTER: {
      ...integer({ min: 0, max: 3600, default: 30, unit: 'seconds' }),
      description:
        'seconds of quiet (at most 1 request/s) after traffic before a process asks V8 for a memory-reducing full collection, once per quiet spell, so RSS falls back towards idle (0 = never; see [Idle memory reclaim](decisions/0009-idle-memory-reclaim.md))',
    },
    TESSERA_WORKERS: {
      ...integer({ min: 1, max: 64, default: 1 }),
      description:
        'processes serving the port on this machine (node:cluster); the argon2 default is shared among them',
    },
  },
  rules: [],
});
