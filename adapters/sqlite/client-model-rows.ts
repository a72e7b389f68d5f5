import { CLIENT_BOUND_MODELS, type ClientBoundModel } from '../../src/ports/oidc-models.ts';
import type { SqliteDatabase } from './database.ts';

/** A stored oidc-provider record as the client's rows are read or removed. */
export interface ClientModelRow {
  payload: string;
  consumed_at: number | null;
}

/** The rows the client index holds (migrations.ts, the last oidc_models_client_id): see below. */
const INDEXED_BY_CLIENT = `(grant_id IS NULL OR model = 'Grant')`;

/**
 * A client's rows of one model (`model = ? AND client_id = ?`), as two queries each answered
 * through an index, named because without ANALYZE statistics SQLite's planner prefers scanning
 * the model's primary-key range to a partial index. Grants and grant-less tokens (client
 * credentials) come through the client index, which holds only those; tokens under a grant
 * through the grant index, by the ids of the client's grants (a token names the grant it was
 * issued under, and a grant the one client it was made for: oidc-provider lib/models/grant.js,
 * lib/helpers/validate_grant.js). So each token write pays one index entry fewer
 * (docs/benchmarks.md "Performance"), and a token is found while its grant is stored, expired or
 * not: callers remove a client's tokens before its grants (CLIENT_BOUND_MODELS' order), and
 * pruneExpired keeps an expired grant while such tokens under it are stored (KEEP_GRANT_IN_USE).
 */
const CLIENT_ROWS_FROM = [
  `oidc_models INDEXED BY oidc_models_client_id
   WHERE model = ? AND client_id = ? AND ${INDEXED_BY_CLIENT}`,
  `oidc_models INDEXED BY oidc_models_grant_id
   WHERE model = ? AND client_id = ? AND NOT ${INDEXED_BY_CLIENT} AND grant_id IN (
     SELECT id FROM oidc_models INDEXED BY oidc_models_client_id
     WHERE model = 'Grant' AND client_id = ? AND ${INDEXED_BY_CLIENT})`,
] as const;

const paramsOf = (model: ClientBoundModel, clientId: string) =>
  [
    [model, clientId],
    [model, clientId, clientId],
  ] as const;

/**
 * A condition for pruneExpired's DELETE: an expired grant stays while client-bound tokens under
 * it are stored (a refresh token rotated near the grant's end outlives it: rotation gives it a
 * full TTL), since the client index leaves them out and their grant is how a client's deletion
 * finds them. Reads treat the grant as absent all the same.
 */
export const KEEP_GRANT_IN_USE = `NOT (model = 'Grant' AND EXISTS (
  SELECT 1 FROM oidc_models AS token INDEXED BY oidc_models_grant_id
  WHERE token.model IN (${CLIENT_BOUND_MODELS.filter((model) => model !== 'Grant')
    .map((model) => `'${model}'`)
    .join(', ')})
    AND token.grant_id = oidc_models.id AND token.client_id IS NOT NULL))`;

/** The client's live `model` rows (`live`: an extra condition, bound to `now`). */
export function selectClientRows(
  db: SqliteDatabase,
  model: ClientBoundModel,
  clientId: string,
  live: string,
  now: number,
): ClientModelRow[] {
  const params = paramsOf(model, clientId);
  return CLIENT_ROWS_FROM.flatMap(
    (from, index) =>
      db
        .statement(`SELECT payload, consumed_at FROM ${from} AND ${live}`)
        .all(...params[index]!, now) as unknown as ClientModelRow[],
  );
}

/** Deletes the client's `model` rows, expired ones included; returns them. */
export function deleteClientRows(
  db: SqliteDatabase,
  model: ClientBoundModel,
  clientId: string,
): ClientModelRow[] {
  const params = paramsOf(model, clientId);
  return CLIENT_ROWS_FROM.flatMap(
    (from, index) =>
      db
        .statement(`DELETE FROM ${from} RETURNING payload, consumed_at`)
        .all(...params[index]!) as unknown as ClientModelRow[],
  );
}
