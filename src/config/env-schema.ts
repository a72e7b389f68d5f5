import { z } from 'zod';

import { kafkaVariables, outboxVariables } from './env/events.ts';
import { performanceVariables } from './env/performance.ts';
import { secretVariables } from './env/secrets.ts';
import { serverVariables } from './env/server.ts';
import { signInVariables } from './env/sign-in.ts';
import { signingKeyVariables } from './env/signing-keys.ts';
import { storageVariables } from './env/storage.ts';
import { tokenVariables } from './env/tokens.ts';
import type { EnvOf, EnvRule } from './env-variable.ts';

/**
 * Every environment variable Tessera reads, defined once (src/config/env/*.ts: parse, default,
 * range, description and the rules among them), in the order of docs/configuration.md, which
 * `npm run config:doc` generates from these groups.
 */
export const ENV_GROUPS = [
  serverVariables,
  storageVariables,
  outboxVariables,
  kafkaVariables,
  secretVariables,
  tokenVariables,
  signingKeyVariables,
  signInVariables,
  performanceVariables,
] as const;

export const ENV_VARIABLES = {
  ...serverVariables.variables,
  ...storageVariables.variables,
  ...outboxVariables.variables,
  ...kafkaVariables.variables,
  ...secretVariables.variables,
  ...tokenVariables.variables,
  ...signingKeyVariables.variables,
  ...signInVariables.variables,
  ...performanceVariables.variables,
};

type EnvSchemas = { [Name in keyof typeof ENV_VARIABLES]: (typeof ENV_VARIABLES)[Name]['schema'] };

/** The same variables as one zod object. */
export const envSchema = z.object(
  Object.fromEntries(
    Object.entries(ENV_VARIABLES).map(([name, variable]) => [name, variable.schema]),
  ) as EnvSchemas,
);

/** Every variable's parsed value (its default when unset). */
export type Env = EnvOf<typeof ENV_VARIABLES>;
export type EnvName = keyof Env;

/** The rules among the variables, group by group. */
export const ENV_RULES: readonly EnvRule<Env>[] = ENV_GROUPS.flatMap(
  (group): readonly EnvRule<Env>[] => group.rules,
);
