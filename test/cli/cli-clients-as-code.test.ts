import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { issueToken } from '../helpers/admin-fixtures.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { relyingParty } from '../helpers/oauth-fixtures.ts';
import { STORAGE_BACKENDS, startTestTesseraOn } from '../helpers/storage-backends.ts';
import type { TestTessera } from '../helpers/test-tessera.ts';

const EXIT_CHANGES = 3;

describe.each(STORAGE_BACKENDS)('tessera plan / apply / export on %s', (backend) => {
  let t: TestTessera;
  let env: Record<string, string>;
  let dir: string;
  let files = 0;
  const tessera = (args: string[], extraEnv: Record<string, string> = {}) =>
    runTessera(args, { ...env, ...extraEnv });
  /** Writes a file of its own for one test, so tests never see each other's objects as theirs. */
  const writeFile = (text: string) => {
    files += 1;
    const path = join(dir, `tessera-${files}.yaml`);
    writeFileSync(path, text);
    return path;
  };
  const eventCount = async () =>
    (await t.tessera.storage.outbox.listRecent({ limit: 1000 })).length;

  beforeAll(async () => {
    t = await startTestTesseraOn(backend);
    const { client } = await issueToken(t);
    env = {
      TESSERA_URL: t.issuer,
      TESSERA_CLIENT_ID: client.clientId,
      TESSERA_CLIENT_SECRET: client.clientSecret,
    };
    dir = mkdtempSync(join(tmpdir(), 'tessera-cac-'));
  });
  afterAll(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('plans a new file as creations (exit 3), applies it reporting generated ids and the secret once, and a second apply changes nothing', async () => {
    const file = writeFile(`
resource_servers:
  orders:
    audience: https://orders-${backend}.example.com
    scopes: [orders:read, orders:write]
    access_token_ttl: 600
clients:
  billing:
    name: Billing
    scope: orders:read
  web:
    client_id: web-${backend}
    name: Web
    token_endpoint_auth_method: none
    grant_types: [authorization_code, refresh_token]
    redirect_uris: [https://web.example.com/callback]
    scope: openid
`);
    const plan = await tessera(['plan', '-f', file]);
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toContain('+ clients.billing (create)');
    expect(plan.stdout).toContain('+ resource_servers.orders (create)');
    expect(plan.stdout).toContain(`${file}: 3 to create, 0 to update, 0 to delete.`);

    const applied = await tessera(['apply', '-f', file, '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const results = applied.json().applied;
    const billing = results.find((change: { key: string }) => change.key === 'billing');
    expect(billing).toMatchObject({
      action: 'create',
      id: expect.stringMatching(/^cl_/),
      client_secret: expect.any(String),
    });
    expect(results.find((change: { key: string }) => change.key === 'web')).toEqual({
      section: 'clients',
      key: 'web',
      action: 'create',
      id: `web-${backend}`,
    });
    expect(applied.stderr).toContain('will not show it again');
    const rp = await relyingParty(t, { clientId: billing.id, clientSecret: billing.client_secret });
    await expect(oidc.clientCredentialsGrant(rp)).resolves.toHaveProperty('access_token');

    const events = await eventCount();
    const again = await tessera(['apply', '-f', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no changes');
    expect(await eventCount()).toBe(events);
    const stored = await t.tessera.storage.clients.get(billing.id);
    expect(stored).toMatchObject({ version: 1, configKey: 'billing' });
    expect((await tessera(['plan', '-f', file])).code).toBe(0);
  });

  it('plans an update as a field-level diff, applies it, and removes a field the file no longer gives', async () => {
    const first = writeFile(`
clients:
  reports:
    client_id: reports-${backend}
    name: Reports
    scope: openid
    contacts: [ops@example.com]
`);
    expect((await tessera(['apply', '-f', first])).code).toBe(0);
    const changed = writeFile(`
clients:
  reports:
    client_id: reports-${backend}
    name: Reports (EU)
    scope: openid email
`);
    const plan = await tessera(['plan', '-f', changed]);
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toContain(`~ clients.reports (update reports-${backend}, version 1)`);
    expect(plan.stdout).toContain('    name: "Reports" -> "Reports (EU)"');
    expect(plan.stdout).toContain('    scope: "openid" -> "openid email"');
    expect(plan.stdout).toContain('    contacts: ["ops@example.com"] -> (absent)');

    expect((await tessera(['apply', '-f', changed])).code).toBe(0);
    const client = await t.tessera.storage.clients.get(`reports-${backend}`);
    expect(client).toMatchObject({ name: 'Reports (EU)', version: 2 });
    expect(client?.metadata).toMatchObject({ scope: 'openid email' });
    expect(client?.metadata).not.toHaveProperty('contacts');
    expect((await tessera(['plan', '-f', changed])).code).toBe(0);
  });

  it('updates a resource server field by field, leaving a TTL the file does not give as it is', async () => {
    const audience = `https://ledger-${backend}.example.com`;
    const first = writeFile(
      `resource_servers:\n  ledger:\n    audience: ${audience}\n    scopes: [ledger:read]\n    access_token_ttl: 300\n`,
    );
    expect((await tessera(['apply', '-f', first])).code).toBe(0);
    const changed = writeFile(
      `resource_servers:\n  ledger:\n    audience: ${audience}\n    scopes: [ledger:read, ledger:write]\n    require_dpop: true\n`,
    );
    const plan = await tessera(['plan', '-f', changed]);
    expect(plan.code).toBe(EXIT_CHANGES);
    expect(plan.stdout).toMatch(/~ resource_servers\.ledger \(update rs_\S+, version 1\)/);
    expect(plan.stdout).toContain('    scopes: ["ledger:read"] -> ["ledger:read","ledger:write"]');
    expect(plan.stdout).toContain('    require_dpop: false -> true');
    expect(plan.stdout).not.toContain('access_token_ttl');

    expect((await tessera(['apply', '-f', changed])).code).toBe(0);
    const server = await t.tessera.storage.resourceServers.getByAudience(audience);
    expect(server).toMatchObject({
      scopes: ['ledger:read', 'ledger:write'],
      requireDpop: true,
      accessTokenTtl: 300,
      version: 2,
      configKey: 'ledger',
    });
    expect((await tessera(['plan', '-f', changed])).code).toBe(0);
  });

  it('keeps a given client_id and imports its secret from secret_from_env, printing no secret', async () => {
    const file = writeFile(`
clients:
  moved:
    client_id: urn:example:moved-${backend}
    name: Moved
    secret_from_env: MOVED_SECRET
`);
    const secret = 'kc9Xw2LqR7vT4mZp8sYb1nHd6gFj3aEu';
    const applied = await tessera(['apply', '-f', file], { MOVED_SECRET: secret });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      `created clients.moved  client_id urn:example:moved-${backend}`,
    );
    expect(applied.stdout + applied.stderr).not.toContain(secret);
    const rp = await relyingParty(t, {
      clientId: `urn:example:moved-${backend}`,
      clientSecret: secret,
    });
    await expect(oidc.clientCredentialsGrant(rp)).resolves.toHaveProperty('access_token');
  });

  it('writes generated secrets to --secrets-out (JSON, mode 0600) instead of printing them', async () => {
    const file = writeFile('clients:\n  quiet:\n    name: Quiet\n');
    const out = join(dir, 'secrets.json');
    writeFileSync(out, 'old', { mode: 0o644 });
    const applied = await tessera(['apply', '-f', file, '--secrets-out', out]);
    expect(applied.code, applied.stderr).toBe(0);
    const secrets = JSON.parse(readFileSync(out, 'utf8'));
    expect(secrets.quiet).toEqual({
      client_id: expect.stringMatching(/^cl_/),
      client_secret: expect.any(String),
    });
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(applied.stdout + applied.stderr).not.toContain(secrets.quiet.client_secret);
  });

  it('keeps the secrets an earlier apply wrote to --secrets-out when the next one makes none', async () => {
    const file = writeFile('clients:\n  kept:\n    name: Kept\n');
    const out = join(dir, 'kept-secrets.json');
    expect((await tessera(['apply', '-f', file, '--secrets-out', out])).code).toBe(0);
    const written = readFileSync(out, 'utf8');
    expect(JSON.parse(written).kept.client_secret).toEqual(expect.any(String));
    expect((await tessera(['apply', '-f', file, '--secrets-out', out])).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(written);
  });

  it('refuses a --secrets-out it cannot write, or a symbolic link there, before creating anything', async () => {
    const file = writeFile('clients:\n  unborn:\n    name: Unborn\n');
    const link = join(dir, 'planted-link.json');
    symlinkSync(join(dir, 'elsewhere.json'), link);
    for (const out of [link, join(dir, 'no-such-dir', 'secrets.json')]) {
      const run = await tessera(['apply', '-f', file, '--secrets-out', out]);
      expect(run.code, out).toBe(1);
      expect(stderrLines(run).at(-1)).toMatch(new RegExp(`--secrets-out ${out}: cannot write`));
    }
    expect(existsSync(join(dir, 'elsewhere.json'))).toBe(false);
    expect((await tessera(['plan', '-f', file])).code).toBe(EXIT_CHANGES);
  });

  it('settles on a file that names a scope twice', async () => {
    const file = writeFile(`
clients:
  reader:
    name: Reader
resource_servers:
  repeated:
    audience: https://repeated-\${backend}.example.com
    scopes: [stock:read, stock:read]
`);
    expect((await tessera(['apply', '-f', file])).code).toBe(0);
    const plan = await tessera(['plan', '-f', file]);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('prunes only what apply created and the file no longer names, never a client made by hand', async () => {
    const handMade = await tessera(['clients', 'create', '--name', 'by hand', '--json']);
    const handMadeId = handMade.json().client_id;
    const full = writeFile(`
resource_servers:
  stock:
    audience: https://stock-${backend}.example.com
    scopes: [stock:read]
clients:
  keeper:
    client_id: keeper-${backend}
    name: Keeper
  goner:
    client_id: goner-${backend}
    name: Goner
`);
    expect((await tessera(['apply', '-f', full])).code).toBe(0);
    // Only what this file created: the other tests' objects are not in it either.
    const reduced = writeFile(`
clients:
  keeper:
    client_id: keeper-${backend}
    name: Keeper
`);
    const withoutPrune = await tessera(['apply', '-f', reduced]);
    expect(withoutPrune.code).toBe(0);
    expect(withoutPrune.stderr).toContain(`clients.goner (goner-${backend}) was created by apply`);
    expect(await t.tessera.storage.clients.get(`goner-${backend}`)).toBeDefined();

    const plan = await tessera(['plan', '-f', reduced, '--prune', '--json']);
    expect(plan.code).toBe(EXIT_CHANGES);
    const deletions = plan
      .json()
      .changes.filter((change: { action: string }) => change.action === 'delete')
      .map((change: { id: string }) => change.id);
    expect(deletions).toContain(`goner-${backend}`);
    expect(deletions).not.toContain(handMadeId);
    expect(deletions).not.toContain(env.TESSERA_CLIENT_ID);

    const pruned = await tessera(['apply', '-f', reduced, '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(await t.tessera.storage.clients.get(`goner-${backend}`)).toBeUndefined();
    expect(
      await t.tessera.storage.resourceServers.getByAudience(`https://stock-${backend}.example.com`),
    ).toBeUndefined();
    expect(await t.tessera.storage.clients.get(`keeper-${backend}`)).toBeDefined();
    expect(await t.tessera.storage.clients.get(handMadeId)).toBeDefined();
    expect(await t.tessera.storage.clients.get(env.TESSERA_CLIENT_ID!)).toBeDefined();
  });

  it('exports every resource server and client without secrets, and applying the export changes nothing', async () => {
    await tessera([
      'resources',
      'create',
      '--audience',
      `https://export-${backend}.example.com`,
      '--scope',
      'a b',
    ]);
    await tessera(['clients', 'create', '--name', 'exported', '--scope', 'a']);
    const exported = await tessera(['export']);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('# yaml-language-server: $schema=');
    expect(exported.stdout).not.toMatch(/client_secret:|secret_from_env/);
    expect(exported.stdout).toContain(env.TESSERA_CLIENT_ID);
    const file = writeFile(exported.stdout);

    const events = await eventCount();
    const plan = await tessera(['plan', '-f', file, '--prune']);
    expect(plan.code, plan.stdout).toBe(0);
    const applied = await tessera(['apply', '-f', file, '--prune']);
    expect(applied.code).toBe(0);
    expect(await eventCount()).toBe(events);
  });

  it('reads empty sections as none: without --prune nothing would change', async () => {
    const file = writeFile('resource_servers:\nclients:\n');
    const plan = await tessera(['plan', '-f', file]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('no changes');
  });

  it('refuses an invalid file with one line per problem naming the file, the entry and the field', async () => {
    const file = writeFile(`
resource_servers:
  orders:
    audience: https://orders.example.com
clients:
  web:
    name: Web
    grant_types: [implicit]
    redirect_uri: https://typo.example.com
`);
    const run = await tessera(['plan', '-f', file]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    const lines = stderrLines(run);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`${file}: resource_servers\\.orders: scopes: `)),
        expect.stringMatching(new RegExp(`${file}: clients\\.web: grant_types\\.0: `)),
        `${file}: clients.web: redirect_uri: is not a known field`,
      ]),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses YAML it cannot parse, a key given twice and two entries for one client_id', async () => {
    const broken = writeFile('clients:\n  web: [unclosed\n');
    const syntax = await tessera(['plan', '-f', broken]);
    expect(syntax.code).toBe(1);
    expect(stderrLines(syntax)[0]).toMatch(new RegExp(`^tessera: ${broken}: line \\d+: `));

    const twice = writeFile('clients:\n  web:\n    name: A\n  web:\n    name: B\n');
    const duplicateKey = await tessera(['plan', '-f', twice]);
    expect(duplicateKey.code).toBe(1);
    expect(stderrLines(duplicateKey)[0]).toContain(twice);

    const sameId = writeFile(
      'clients:\n  a:\n    client_id: same\n    name: A\n  b:\n    client_id: same\n    name: B\n',
    );
    const duplicateId = await tessera(['plan', '-f', sameId]);
    expect(duplicateId.code).toBe(1);
    expect(stderrLines(duplicateId)).toEqual([
      `tessera: ${sameId}: clients.b: client_id: same is also clients.a's`,
    ]);
    expect((await tessera(['plan', '-f', join(dir, 'missing.yaml')])).code).toBe(1);
    expect((await tessera(['plan'])).code).toBe(2);
  });

  it('still reports what it created, secrets included, when a later entry is refused', async () => {
    const file = writeFile(`
clients:
  early:
    name: Early
  refused:
    name: Refused
    grant_types: [authorization_code]
    redirect_uris: [https://app.example.com/cb#fragment]
`);
    const run = await tessera(['apply', '-f', file, '--json']);
    expect(run.code).toBe(1);
    const early = run.json().applied[0];
    expect(early).toMatchObject({
      key: 'early',
      action: 'create',
      client_secret: expect.any(String),
    });
    expect(stderrLines(run).at(-1)).toMatch(
      new RegExp(`^tessera: ${file}: clients\\.refused: .*redirect_uris.*HTTP 400`),
    );
    const rp = await relyingParty(t, { clientId: early.id, clientSecret: early.client_secret });
    await expect(oidc.clientCredentialsGrant(rp)).resolves.toHaveProperty('access_token');
  });

  it('names the file, the entry and the field when Tessera refuses an entry at apply, or a secret variable is unset', async () => {
    const refused = writeFile(`
clients:
  bad:
    client_id: bad-${backend}
    name: Bad
    token_endpoint_auth_method: none
    grant_types: [authorization_code]
    redirect_uris: [https://app.example.com/cb#fragment]
`);
    const run = await tessera(['apply', '-f', refused]);
    expect(run.code).toBe(1);
    expect(stderrLines(run).at(-1)).toMatch(
      new RegExp(`^tessera: ${refused}: clients\\.bad: .*redirect_uris.*HTTP 400`),
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const unset = writeFile('clients:\n  kept:\n    name: Kept\n    secret_from_env: NOT_SET\n');
    const missing = await tessera(['apply', '-f', unset]);
    expect(missing.code).toBe(1);
    expect(stderrLines(missing).at(-1)).toBe(
      `tessera: ${unset}: clients.kept: secret_from_env: environment variable NOT_SET is not set`,
    );
  });
});
