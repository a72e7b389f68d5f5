import { DatabaseSync } from 'node:sqlite';

import { afterEach, describe, expect, it } from 'vitest';

import { basicAuthorization } from '../../scripts/bench/fixtures.ts';
import { signInOnce } from '../../scripts/bench/sign-in-flow.ts';
import { startBaselineTarget, type Target } from '../../scripts/bench/targets.ts';

const REFRESHES = 3;

/** Rotates `refreshToken` at the baseline's token endpoint; returns the new one. */
async function rotate(target: Target, refreshToken: string): Promise<string> {
  const { app } = target.fixtures;
  const response = await fetch(`${target.origin}/token`, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization(app.clientId, app.clientSecret),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  const body = (await response.json()) as { refresh_token?: string };
  expect(response.status).toBe(200);
  return body.refresh_token ?? '';
}

/**
 * The bench's durable baseline (the refresh-sqlite scenario's `durable baseline` row): bare
 * oidc-provider whose models go to a SQLite file through Tessera's own store, loaded from the
 * production build as the bench runs it.
 */
describe('the durable baseline', () => {
  let target: Target | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('writes every refresh-token rotation to its SQLite file, values unhashed', async () => {
    target = await startBaselineTarget({}, undefined, { durable: { compiled: true } });
    const tokens = await signInOnce(target.origin, target.fixtures);
    let refreshToken = String(tokens['refresh_token']);
    for (let turn = 0; turn < REFRESHES; turn += 1) {
      refreshToken = await rotate(target, refreshToken);
    }

    const file = target.storeFile ?? '';
    expect(file).not.toBe('');
    const db = new DatabaseSync(file, { readOnly: true });
    try {
      const refreshRows = db
        .prepare(
          `SELECT id, consumed_at FROM oidc_models WHERE model = 'RefreshToken' ORDER BY consumed_at`,
        )
        .all() as { id: string; consumed_at: number | null }[];
      // The one from the sign-in and one per rotation; each rotated one consumed.
      expect(refreshRows).toHaveLength(REFRESHES + 1);
      expect(refreshRows.filter((row) => row.consumed_at !== null)).toHaveLength(REFRESHES);
      // Stored under the value oidc-provider issued: no hashing, unlike Tessera.
      expect(refreshRows.map((row) => row.id)).toContain(refreshToken);
      const count = (model: string) =>
        (
          db.prepare('SELECT count(*) AS n FROM oidc_models WHERE model = ?').get(model) as {
            n: number;
          }
        ).n;
      expect(count('Grant')).toBe(1);
      expect(count('AccessToken')).toBe(REFRESHES + 1);
    } finally {
      db.close();
    }
  });

  it('leaves the in-memory baseline without a store file', async () => {
    target = await startBaselineTarget();
    expect(target.storeFile).toBeUndefined();
  });
});
