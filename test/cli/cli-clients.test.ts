import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as oidc from 'openid-client';

import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { isActiveFor, untilSecondAfter } from '../helpers/jwt-access-tokens.ts';
import { oauthErrorOf, relyingParty, type RegisteredClient } from '../helpers/oauth-fixtures.ts';

const CLIENT_KEYS = [
  'client_id',
  'created_at',
  'grant_types',
  'name',
  'response_types',
  'secrets',
  'token_endpoint_auth_method',
  'updated_at',
  'version',
];

describe('tessera clients', () => {
  let f: CliFixture;
  const tessera = (...args: string[]) => runTessera(args, f.env);

  beforeAll(async () => {
    f = await startCliFixture();
  });
  afterAll(() => f.t.stop());

  it('creates a confidential client: --json has the client and its secret, stderr the warning', async () => {
    const run = await tessera(
      'clients',
      'create',
      '--name',
      'billing',
      '--scope',
      'openid',
      '--json',
    );
    expect(run.code).toBe(0);
    const client = run.json();
    expect(Object.keys(client).sort()).toEqual([...CLIENT_KEYS, 'client_secret', 'scope'].sort());
    expect(client).toMatchObject({
      name: 'billing',
      scope: 'openid',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'client_secret_basic',
      client_secret: expect.any(String),
    });
    expect(run.stderr).toContain('will not show it again');
  });

  it('creates a public client with --public, without a secret', async () => {
    const run = await tessera(
      'clients',
      'create',
      '--name',
      'spa',
      '--public',
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--redirect-uri',
      'https://spa.example.com/cb',
      '--scope',
      'openid offline_access',
      '--json',
    );
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.example.com/cb'],
      secrets: [],
    });
    expect(run.json()).not.toHaveProperty('client_secret');
    expect(run.stderr).not.toContain('will not show it again');
  });

  it('prints a readable record without --json, secret included once', async () => {
    const run = await tessera('clients', 'create', '--name', 'reporting');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^client_id\s+cl_/m);
    expect(run.stdout).toMatch(/^client_secret\s+\S{43}$/m);
    expect(run.stdout).toMatch(/^grant_types\s+client_credentials$/m);
  });

  it('lists clients as a table and as {items, next_cursor}', async () => {
    const table = await tessera('clients', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^CLIENT_ID\s+NAME\s+GRANT_TYPES\s+AUTH\s+SCOPE$/);
    expect(table.stdout).toContain('tessera admin');

    const json = (await tessera('clients', 'list', '--limit', '1', '--json')).json();
    expect(Object.keys(json).sort()).toEqual(['items', 'next_cursor']);
    expect(json.items).toHaveLength(1);
    expect(json.next_cursor).toEqual(expect.any(String));
    const all = (await tessera('clients', 'list', '--all', '--json')).json();
    expect(all.next_cursor).toBeNull();
    expect(all.items.length).toBeGreaterThan(1);
  });

  it('gets, updates (guarded by the ETag it read) and deletes a client', async () => {
    const { client_id: id } = (
      await tessera('clients', 'create', '--name', 'cycle', '--json')
    ).json();
    const got = await tessera('clients', 'get', id, '--json');
    expect(Object.keys(got.json()).sort()).toEqual(CLIENT_KEYS);

    const updated = await tessera(
      'clients',
      'update',
      id,
      '--name',
      'cycled',
      '--scope',
      'email',
      '--json',
    );
    expect(updated.code).toBe(0);
    expect(updated.json()).toMatchObject({ name: 'cycled', scope: 'email', version: 2 });

    const stale = await tessera('clients', 'update', id, '--name', 'late', '--expect-version', '1');
    expect(stale.code).toBe(1);
    expect(stderrLines(stale)).toEqual([expect.stringContaining('HTTP 412')]);

    const deleted = await tessera('clients', 'delete', id, '--json');
    expect(deleted.json()).toEqual({ client_id: id, deleted: true });
    expect((await tessera('clients', 'get', id)).code).toBe(1);
  });

  it('creates a client under the id given with --id, found under it; a taken id exits 1 with 409', async () => {
    const created = await tessera(
      'clients',
      'create',
      '--name',
      'console',
      '--id',
      'urn:example:account-console',
      '--json',
    );
    expect(created.code).toBe(0);
    expect(created.json().client_id).toBe('urn:example:account-console');
    const got = await tessera('clients', 'get', 'urn:example:account-console', '--json');
    expect(got.json()).toMatchObject({ client_id: 'urn:example:account-console', name: 'console' });

    const again = await tessera(
      'clients',
      'create',
      '--name',
      'again',
      '--id',
      'urn:example:account-console',
    );
    expect(again.code).toBe(1);
    expect(stderrLines(again)).toEqual([
      expect.stringMatching(/already exists.*HTTP 409 conflict/),
    ]);
    const invalid = await tessera('clients', 'create', '--name', 'bad', '--id', 'tab\there');
    expect(invalid.code).toBe(1);
    expect(stderrLines(invalid)).toEqual([expect.stringMatching(/client_id.*HTTP 400/)]);
  });

  it('creates a client keeping a known secret read from --secret-from-env, printing no secret', async () => {
    const secret = 'imported-secret-0123456789abcdef';
    const created = await runTessera(
      [
        'clients',
        'create',
        '--name',
        'kept',
        '--id',
        'kept-secret',
        '--secret-from-env',
        'KEPT',
        '--json',
      ],
      { ...f.env, KEPT: secret },
    );
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain(secret);
    expect(created.json()).not.toHaveProperty('client_secret');
    const rp = await relyingParty(f.t, { clientId: 'kept-secret', clientSecret: secret });
    await expect(oidc.clientCredentialsGrant(rp)).resolves.toHaveProperty('access_token');

    const unset = await tessera('clients', 'create', '--name', 'x', '--secret-from-env', 'UNSET');
    expect(unset.code).toBe(2);
    expect(stderrLines(unset)).toEqual([expect.stringContaining('UNSET is not set')]);
  });

  it('exits 2 for an update without any change', async () => {
    expect((await tessera('clients', 'update', 'cl_x')).code).toBe(2);
  });

  it('adds, lists and removes secrets; values appear only when added', async () => {
    const created = (await tessera('clients', 'create', '--name', 'rotating', '--json')).json();
    const added = await tessera(
      'clients',
      'secrets',
      'add',
      created.client_id,
      '--expires-in',
      '30d',
      '--json',
    );
    expect(added.code).toBe(0);
    const secret = added.json();
    expect(Object.keys(secret).sort()).toEqual(['created_at', 'expires_at', 'id', 'secret']);
    expect(Date.parse(secret.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(added.stderr).toContain('will not show it again');

    const listed = await tessera('clients', 'secrets', 'list', created.client_id, '--json');
    expect(listed.json().items).toHaveLength(2);
    expect(listed.stdout).not.toContain(secret.secret);
    expect(listed.stdout).not.toContain(created.client_secret);

    const table = await tessera('clients', 'secrets', 'list', created.client_id);
    expect(table.stdout.split('\n')[0]).toMatch(/^SECRET_ID\s+CREATED_AT\s+EXPIRES_AT$/);

    const removed = await tessera(
      'clients',
      'secrets',
      'remove',
      created.client_id,
      secret.id,
      '--json',
    );
    expect(removed.json()).toEqual({
      client_id: created.client_id,
      secret_id: secret.id,
      removed: true,
    });
    const last = await tessera(
      'clients',
      'secrets',
      'remove',
      created.client_id,
      created.secrets[0].id,
    );
    expect(last.code).toBe(1);
    expect(stderrLines(last)).toEqual([expect.stringContaining('last valid secret')]);
  });

  it('revokes every token of a client: --json says what went, text until when; the client stays', async () => {
    const created = (await tessera('clients', 'create', '--name', 'leaky', '--json')).json();
    const service = { clientId: created.client_id, clientSecret: created.client_secret };
    const { access_token: token } = await oidc.clientCredentialsGrant(
      await relyingParty(f.t, service),
    );

    const run = await tessera('clients', 'revoke-tokens', created.client_id, '--json');
    expect(run.code).toBe(0);
    const revoked = run.json();
    expect(revoked).toEqual({
      client_id: created.client_id,
      issued_before: expect.any(String),
      tokens_valid_until: expect.any(String),
      revoked: { grants: 0, refresh_tokens: 0, access_tokens: 1, codes: 0 },
    });
    expect(await isActiveFor(f.t.issuer, service, token)).toBe(false);
    const got = (await tessera('clients', 'get', created.client_id, '--json')).json();
    expect(got.tokens_revoked_at).toBe(revoked.issued_before);

    const text = await tessera('clients', 'revoke-tokens', created.client_id);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^client_id +${created.client_id}$`, 'm'));
    expect(text.stdout).toMatch(/^access_tokens +0$/m);
    expect(text.stdout).toContain(`Every token of ${created.client_id} issued until`);
  });

  it('exits 1 with one line for revoking the tokens of an unknown client, 2 without an id', async () => {
    const unknown = await tessera('clients', 'revoke-tokens', 'cl_unknown');
    expect(unknown.code).toBe(1);
    expect(stderrLines(unknown)).toEqual([
      'tessera: client cl_unknown does not exist (HTTP 404 not_found)',
    ]);
    expect((await tessera('clients', 'revoke-tokens')).code).toBe(2);
  });

  it('runs the leaked-secret runbook of docs/operations.md as written', async () => {
    const created = (await tessera('clients', 'create', '--name', 'payments', '--json')).json();
    const leaked: RegisteredClient = {
      clientId: created.client_id,
      clientSecret: created.client_secret,
    };
    const stolenToken = (await oidc.clientCredentialsGrant(await relyingParty(f.t, leaked)))
      .access_token;

    // 1. A new secret, 2. deployed: the service gets its tokens with it.
    const added = (await tessera('clients', 'secrets', 'add', leaked.clientId, '--json')).json();
    const replaced = { clientId: leaked.clientId, clientSecret: added.secret };
    // 3. The leaked secret goes, 4. then everything issued until now.
    const oldId = created.secrets[0].id;
    expect((await tessera('clients', 'secrets', 'remove', leaked.clientId, oldId)).code).toBe(0);
    const revoked = await tessera('clients', 'revoke-tokens', leaked.clientId, '--json');
    expect(revoked.code).toBe(0);

    expect(await isActiveFor(f.t.issuer, replaced, stolenToken)).toBe(false);
    const refused = await oidc
      .clientCredentialsGrant(await relyingParty(f.t, leaked))
      .catch(oauthErrorOf);
    expect(refused).toMatchObject({ error: 'invalid_client' });
    await untilSecondAfter(Date.parse(revoked.json().issued_before) / 1000);
    const { access_token: fresh } = await oidc.clientCredentialsGrant(
      await relyingParty(f.t, replaced),
    );
    expect(await isActiveFor(f.t.issuer, replaced, fresh)).toBe(true);
  });

  it('exits 1 with the field named when the API refuses the metadata', async () => {
    const run = await tessera(
      'clients',
      'create',
      '--name',
      'bad',
      '--grant-type',
      'authorization_code',
      '--redirect-uri',
      'https://app.example.com/cb#fragment',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(stderrLines(run)).toEqual([expect.stringMatching(/^tessera: redirect_uris .*HTTP 400/)]);
  });

  it('exits 1 with one line for an unknown client id', async () => {
    const run = await tessera('clients', 'get', 'cl_unknown', '--json');
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([
      'tessera: client cl_unknown does not exist (HTTP 404 not_found)',
    ]);
  });

  it('exits 1 with one line when the admin secret is wrong (401)', async () => {
    const run = await runTessera(['clients', 'list'], { ...f.env, TESSERA_CLIENT_SECRET: 'wrong' });
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringContaining('invalid_client')]);
  });

  it('exits 1 with one line for a client without tessera:admin (403)', async () => {
    const created = (
      await tessera('clients', 'create', '--name', 'plain', '--scope', 'openid', '--json')
    ).json();
    const run = await runTessera(['clients', 'list'], {
      ...f.env,
      TESSERA_CLIENT_ID: created.client_id,
      TESSERA_CLIENT_SECRET: created.client_secret,
    });
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringContaining('tessera:admin')]);
  });

  it('lets flags override the environment for the connection', async () => {
    const run = await runTessera(
      [
        'clients',
        'list',
        '--json',
        '--url',
        f.t.issuer,
        '--client-id',
        f.admin.clientId,
        '--client-secret',
        f.admin.clientSecret,
      ],
      { TESSERA_URL: 'http://127.0.0.1:9', TESSERA_CLIENT_ID: 'x', TESSERA_CLIENT_SECRET: 'y' },
    );
    expect(run.code).toBe(0);
  });
});
