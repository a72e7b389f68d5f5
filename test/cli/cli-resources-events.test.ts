import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';
import { registerClient } from '../helpers/oauth-fixtures.ts';

const RESOURCE_KEYS = [
  'access_token_format',
  'access_token_ttl',
  'audience',
  'created_at',
  'id',
  'introspectors',
  'name',
  'require_dpop',
  'scopes',
  'updated_at',
  'version',
];

describe('tessera resources and events', () => {
  let f: CliFixture;
  const tessera = (...args: string[]) => runTessera(args, f.env);

  beforeAll(async () => {
    f = await startCliFixture();
  });
  afterAll(() => f.t.stop());

  it('creates a resource server with format and TTL; --json has the stable shape', async () => {
    const run = await tessera(
      'resources',
      'create',
      '--audience',
      'https://orders.example.com',
      '--scope',
      'orders:read orders:write',
      '--format',
      'opaque',
      '--ttl',
      '300',
      '--json',
    );
    expect(run.code).toBe(0);
    const server = run.json();
    expect(Object.keys(server).sort()).toEqual(RESOURCE_KEYS);
    expect(server).toMatchObject({
      audience: 'https://orders.example.com',
      scopes: ['orders:read', 'orders:write'],
      access_token_format: 'opaque',
      access_token_ttl: 300,
    });
  });

  it('lists, gets, updates and deletes resource servers', async () => {
    const created = (
      await tessera(
        'resources',
        'create',
        '--audience',
        'https://cycle.example.com',
        '--scope',
        'c:read',
        '--json',
      )
    ).json();
    const table = await tessera('resources', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+AUDIENCE\s+FORMAT\s+TTL\s+SCOPES$/);
    expect(table.stdout).toContain('https://cycle.example.com');
    expect((await tessera('resources', 'get', created.id, '--json')).json()).toEqual(created);

    const updated = await tessera(
      'resources',
      'update',
      created.id,
      '--scope',
      'c:read c:write',
      '--ttl',
      '60',
      '--json',
    );
    expect(updated.json()).toMatchObject({
      scopes: ['c:read', 'c:write'],
      access_token_ttl: 60,
      version: 2,
    });

    expect((await tessera('resources', 'delete', created.id, '--json')).json()).toEqual({
      id: created.id,
      deleted: true,
    });
    const gone = await tessera('resources', 'get', created.id);
    expect(gone.code).toBe(1);
    expect(stderrLines(gone)).toEqual([expect.stringContaining('HTTP 404')]);
  });

  it('names introspectors with a repeatable --introspector; update replaces or empties the list', async () => {
    const orders = await registerClient(f.t, { name: 'orders api' });
    const audit = await registerClient(f.t, { name: 'audit' });
    const created = await tessera(
      'resources',
      'create',
      '--audience',
      'https://introspected.example.com',
      '--scope',
      'i:read',
      '--introspector',
      orders.clientId,
      '--introspector',
      audit.clientId,
      '--json',
    );
    expect(created.code).toBe(0);
    const { id } = created.json();
    expect(created.json().introspectors).toEqual([orders.clientId, audit.clientId]);

    const replaced = await tessera('resources', 'update', id, '--introspector', audit.clientId);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toMatch(new RegExp(`^introspectors\\s+${audit.clientId}$`, 'm'));

    const emptied = await tessera('resources', 'update', id, '--no-introspectors', '--json');
    expect(emptied.json()).toMatchObject({ introspectors: [], version: 3 });
    const shown = await tessera('resources', 'get', id);
    expect(shown.stdout).toMatch(/^introspectors\s+-$/m);
  });

  it('requires DPoP with --require-dpop and lifts the requirement with --no-require-dpop', async () => {
    const created = await tessera(
      'resources',
      'create',
      '--audience',
      'https://payments.example.com',
      '--scope',
      'payments:write',
      '--require-dpop',
      '--json',
    );
    expect(created.code).toBe(0);
    const { id } = created.json();
    expect(created.json().require_dpop).toBe(true);
    expect((await tessera('resources', 'get', id)).stdout).toMatch(/^require dpop\s+yes$/m);

    const relaxed = await tessera('resources', 'update', id, '--no-require-dpop', '--json');
    expect(relaxed.json()).toMatchObject({ require_dpop: false, version: 2 });
    const again = await tessera('resources', 'update', id, '--require-dpop');
    expect(again.stdout).toMatch(/^require dpop\s+yes$/m);
    expect((await tessera('resources', 'get', id, '--json')).json()).toMatchObject({
      require_dpop: true,
      version: 3,
    });
  });

  it('exits 1 naming the client for an unknown introspector, and 2 for contradicting options', async () => {
    const unknown = await tessera(
      'resources',
      'create',
      '--audience',
      'https://unknown-introspector.example.com',
      '--scope',
      'u:read',
      '--introspector',
      'cl_nobody',
    );
    expect(unknown.code).toBe(1);
    expect(stderrLines(unknown)).toEqual([
      'tessera: introspectors: client cl_nobody does not exist (HTTP 400 validation_failed)',
    ]);
    const both = await tessera(
      'resources',
      'update',
      'rs_x',
      '--introspector',
      'cl_x',
      '--no-introspectors',
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--no-introspectors');
  });

  it('exits 1 naming audience for a duplicate or malformed audience', async () => {
    await tessera('resources', 'create', '--audience', 'https://dup.example.com', '--scope', 'd');
    const duplicate = await tessera(
      'resources',
      'create',
      '--audience',
      'https://dup.example.com',
      '--scope',
      'd',
    );
    expect(duplicate.code).toBe(1);
    expect(stderrLines(duplicate)).toEqual([expect.stringContaining('HTTP 409')]);
    const malformed = await tessera(
      'resources',
      'create',
      '--audience',
      'not a uri',
      '--scope',
      'd',
    );
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain('audience');
  });

  it('lists recent events with --type and --limit, as a table or CloudEvents JSON', async () => {
    const run = await tessera(
      'events',
      'list',
      '--type',
      'tessera.resource_server.created',
      '--limit',
      '2',
      '--json',
    );
    expect(run.code).toBe(0);
    const { items } = run.json();
    expect(items).toHaveLength(2);
    for (const event of items) {
      expect(Object.keys(event).sort()).toEqual([
        'data',
        'datacontenttype',
        'id',
        'partitionkey',
        'published_at',
        'sequence',
        'source',
        'specversion',
        'subject',
        'time',
        'type',
      ]);
      expect(event.type).toBe('tessera.resource_server.created');
    }
    const table = await tessera('events', 'list');
    expect(table.stdout.split('\n')[0]).toMatch(/^TIME\s+TYPE\s+SUBJECT\s+PUBLISHED\s+ID$/);
    expect(table.stdout).toContain('tessera.client.created');
  });

  it('exits 1 for an event type the API does not know', async () => {
    const run = await tessera('events', 'list', '--type', 'nope');
    expect(run.code).toBe(1);
    expect(stderrLines(run)).toEqual([expect.stringContaining('type')]);
  });
});
