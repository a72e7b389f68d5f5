import { z } from 'zod';

import { clientCreateSchema } from './client-schemas.ts';
import { configKeyInput } from './common-schemas.ts';
import { resourceServerCreateSchema } from './resource-server-routes.ts';

/** An environment variable's name, as POSIX shells accept it. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One client of a clients-as-code file (docs/clients-as-code.md): what `POST /clients` takes,
 * from the same zod schema, but never a secret. `config_key` is the entry's key, and
 * `secret_expires_at` belongs to secret rotation, not to the description of a client.
 */
const clientEntrySchema = clientCreateSchema.schema
  .omit({ client_secret: true, config_key: true, secret_expires_at: true })
  .extend({
    secret_from_env: z
      .string()
      .max(200)
      .regex(ENV_NAME, 'must be an environment variable name')
      .optional()
      .describe(
        'Confidential clients: when `tessera apply` creates the client, its first secret is ' +
          "this environment variable's value (a client moved from another server keeps its " +
          'secret), stored hashed. Ignored for a client that exists. Without it a secret is generated',
      ),
  })
  .strict();

/** One resource server: what `POST /resource-servers` takes, matched by its audience. */
const resourceServerEntrySchema = resourceServerCreateSchema.schema
  .omit({ config_key: true })
  .strict();

const entryKey = configKeyInput.describe(
  "The entry's stable key: recorded on the object `tessera apply` creates (`config_key`)",
);

/** A clients-as-code file: resource servers and clients, each under a stable key. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional().describe('Where editors find this schema'),
    resource_servers: z
      .record(entryKey, resourceServerEntrySchema)
      .nullish()
      .describe('Matched to existing resource servers by audience; empty (null) is none'),
    clients: z
      .record(entryKey, clientEntrySchema)
      .nullish()
      .describe(
        'Matched to existing clients by client_id when given, else to the client `tessera apply` ' +
          'created from the same key; empty (null) is none',
      ),
  })
  .strict()
  .describe('Tessera clients as code: the resource servers and clients `tessera apply` keeps');

export type ConfigFile = z.output<typeof configFileSchema>;
export type ClientEntry = z.output<typeof clientEntrySchema>;
export type ResourceServerEntry = z.output<typeof resourceServerEntrySchema>;

/** The JSON Schema (2020-12) editors validate a clients-as-code file with. */
export function configFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Tessera clients as code',
  };
}

/** The schema as published (docs/clients-as-code.schema.json) and printed by `tessera schema`. */
export const renderConfigFileJsonSchema = (): string =>
  `${JSON.stringify(configFileJsonSchema(), null, 2)}\n`;
