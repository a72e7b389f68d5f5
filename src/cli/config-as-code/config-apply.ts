import { clientSchema, createdClientSchema } from '../../admin/client-schemas.ts';
import type { ClientEntry, ResourceServerEntry } from '../../admin/config-file-schema.ts';
import { etagFor } from '../../admin/preconditions.ts';
import { resourceServerSchema } from '../../admin/resource-server-routes.ts';
import type { AdminHttpClient } from '../admin-http-client.ts';
import { CliError } from '../cli-error.ts';
import type { Change, Section } from './config-plan.ts';
import { describeFieldChanges } from './plan-output.ts';

/** What applying one change did. */
export interface AppliedChange {
  readonly section: Section;
  readonly key: string;
  readonly action: Change['action'];
  readonly id: string;
  /** A new confidential client's generated secret: shown once, never stored by Tessera. */
  readonly clientSecret?: string;
}

const pathOf = (section: Section, id: string) =>
  `/${section === 'clients' ? 'clients' : 'resource-servers'}/${encodeURIComponent(id)}`;

/**
 * Why applying stopped, with what was applied before (it stays applied: the generated secrets
 * among it must still reach the operator).
 */
export class ApplyStoppedError extends CliError {
  readonly applied: readonly AppliedChange[];

  constructor(message: string, applied: readonly AppliedChange[], exitCode?: number) {
    super(message, exitCode);
    this.applied = applied;
  }
}

/**
 * Makes the planned changes in order, each update and deletion conditional on the version
 * planned against (If-Match, RFC 9110 section 13.1.1). The first object that changed since
 * (412) stops the run with what changed in it; nothing after it is attempted.
 */
export async function applyChanges(
  api: AdminHttpClient,
  path: string,
  changes: readonly Change[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<AppliedChange[]> {
  const applied: AppliedChange[] = [];
  for (const change of changes) {
    const where = `${path}: ${change.section}.${change.key}`;
    try {
      applied.push(await applyOne(api, change, env, where));
    } catch (error) {
      if (!(error instanceof CliError)) {
        // Whatever went wrong, what was applied before is reported (its secrets included).
        throw new ApplyStoppedError(
          `${where}: unexpected error: ${(error as Error).message ?? String(error)}`,
          applied,
        );
      }
      // 412: the version planned against is no longer current (RFC 9110 section 13.1.1).
      if (error.httpStatus === 412 && change.action !== 'create') {
        const now = await describeChangeSincePlan(api, change);
        throw new ApplyStoppedError(
          `${where}: changed since the plan (it was at version ${change.version}); nothing further ` +
            `was applied. Run plan again.${now}`,
          applied,
        );
      }
      const message = error.message.startsWith(where)
        ? error.message
        : `${where}: ${error.message}`;
      throw new ApplyStoppedError(message, applied, error.exitCode);
    }
  }
  return applied;
}

async function applyOne(
  api: AdminHttpClient,
  change: Change,
  env: Readonly<Record<string, string | undefined>>,
  where: string,
): Promise<AppliedChange> {
  const { section, key } = change;
  if (change.action === 'update') {
    await api.call('PATCH', pathOf(section, change.id), {
      body: change.patch,
      ifMatch: etagFor(change.version),
    });
    return { section, key, action: 'update', id: change.id };
  }
  if (change.action === 'delete') {
    await api.call('DELETE', pathOf(section, change.id), { ifMatch: etagFor(change.version) });
    return { section, key, action: 'delete', id: change.id };
  }
  if (section === 'resource_servers') {
    const { body } = await api.call('POST', '/resource-servers', {
      body: { ...(change.entry as ResourceServerEntry), config_key: key },
      response: resourceServerSchema.schema,
    });
    return { section, key, action: 'create', id: body.id };
  }
  const { secret_from_env: secretVariable, ...entry } = change.entry as ClientEntry;
  let clientSecret: string | undefined;
  if (secretVariable !== undefined) {
    clientSecret = env[secretVariable];
    if (!clientSecret) {
      throw new CliError(
        `${where}: secret_from_env: environment variable ${secretVariable} is not set`,
      );
    }
  }
  const { body } = await api.call('POST', '/clients', {
    body: {
      ...entry,
      config_key: key,
      ...(clientSecret === undefined ? {} : { client_secret: clientSecret }),
    },
    response: createdClientSchema.schema,
  });
  return {
    section,
    key,
    action: 'create',
    id: body.client_id,
    ...(body.client_secret === undefined ? {} : { clientSecret: body.client_secret }),
  };
}

/** The object as it is now, against what was planned: the lines of what someone else changed. */
async function describeChangeSincePlan(api: AdminHttpClient, change: Change): Promise<string> {
  if (change.action === 'create') return '';
  try {
    const schema = change.section === 'clients' ? clientSchema.schema : resourceServerSchema.schema;
    const { body } = await api.call('GET', pathOf(change.section, change.id), {
      response: schema,
    });
    const now = body as unknown as Record<string, unknown>;
    const fields =
      change.action === 'update'
        ? change.fields.map((field) => ({
            field: field.field,
            from: now[field.field],
            to: field.to,
          }))
        : [];
    return `\nNow at version ${String(now.version)}; the planned change against it:\n${describeFieldChanges(fields)}`;
  } catch {
    return '\nIt no longer exists.';
  }
}
