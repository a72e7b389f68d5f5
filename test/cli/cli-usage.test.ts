import { describe, expect, it } from 'vitest';

import { findFreePort } from '../../scripts/test-services/ports.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';

/** Every command of the CLI; each must have --help with examples. */
const COMMANDS = [
  [],
  ['init'],
  ['migrate'],
  ['clients'],
  ['clients', 'create'],
  ['clients', 'list'],
  ['clients', 'get'],
  ['clients', 'update'],
  ['clients', 'delete'],
  ['clients', 'secrets'],
  ['clients', 'secrets', 'add'],
  ['clients', 'secrets', 'list'],
  ['clients', 'secrets', 'remove'],
  ['resources'],
  ['resources', 'create'],
  ['resources', 'list'],
  ['resources', 'get'],
  ['resources', 'update'],
  ['resources', 'delete'],
  ['users'],
  ['users', 'create'],
  ['users', 'list'],
  ['users', 'get'],
  ['users', 'disable'],
  ['users', 'enable'],
  ['users', 'unlock'],
  ['users', 'set-password'],
  ['keys'],
  ['keys', 'list'],
  ['keys', 'rotate'],
  ['keys', 'retire'],
  ['events'],
  ['events', 'list'],
];

describe('tessera CLI usage', () => {
  it('prints --help with examples for every command and exits 0', async () => {
    // Four at a time: each run is a Node process start on a two-core machine.
    for (let start = 0; start < COMMANDS.length; start += 4) {
      const batch = COMMANDS.slice(start, start + 4);
      const runs = await Promise.all(batch.map((command) => runTessera([...command, '--help'])));
      runs.forEach((run, index) => {
        const command = batch[index]!;
        expect({ command, code: run.code }).toEqual({ command, code: 0 });
        expect(run.stdout).toContain(`Usage: tessera ${command.join(' ')}`.trimEnd());
        expect(run.stdout, command.join(' ')).toMatch(/Examples?:\n\s+\$ \S/);
      });
    }
  });

  it('exits 2 for an unknown command', async () => {
    const run = await runTessera(['clients', 'frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('exits 2 for an unknown option, a missing argument or a missing required option', async () => {
    expect((await runTessera(['clients', 'list', '--colour'])).code).toBe(2);
    expect((await runTessera(['clients', 'get'])).code).toBe(2);
    expect((await runTessera(['resources', 'create', '--scope', 'a'])).code).toBe(2);
  });

  it('exits 2 for an invalid option value, before contacting any server', async () => {
    const limit = await runTessera(['clients', 'list', '--limit', '500']);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toContain('expected an integer from 1 to 100');
    const duration = await runTessera([
      'clients',
      'secrets',
      'add',
      'cl_x',
      '--expires-in',
      'soon',
    ]);
    expect(duration.code).toBe(2);
    const format = await runTessera([
      'resources',
      'create',
      '--audience',
      'https://a',
      '--scope',
      'a',
      '--format',
      'paseto',
    ]);
    expect(format.code).toBe(2);
  });

  it('exits 2 for --public together with --auth-method', async () => {
    const run = await runTessera([
      'clients',
      'create',
      '--name',
      'x',
      '--public',
      '--auth-method',
      'none',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('cannot be used with');
  });

  it('exits 2 with one line when no admin credentials are configured', async () => {
    const run = await runTessera(['clients', 'list']);
    expect(run.code).toBe(2);
    expect(stderrLines(run)).toEqual([expect.stringContaining('TESSERA_CLIENT_ID')]);
  });

  it('exits 1 with one line on stderr when Tessera cannot be reached', async () => {
    const url = `http://127.0.0.1:${await findFreePort()}`;
    const run = await runTessera(['clients', 'list', '--json'], {
      TESSERA_URL: url,
      TESSERA_CLIENT_ID: 'cl_x',
      TESSERA_CLIENT_SECRET: 'secret',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(stderrLines(run)).toEqual([`tessera: cannot reach Tessera at ${url}: ECONNREFUSED`]);
  });

  it('exits 2 for a URL that is not http(s)', async () => {
    const run = await runTessera(['clients', 'list', '--url', 'ftp://example.com'], {
      TESSERA_CLIENT_ID: 'cl_x',
      TESSERA_CLIENT_SECRET: 'secret',
    });
    expect(run.code).toBe(2);
  });
});
