import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera, stderrLines } from '../helpers/cli-runner.ts';

describe('tessera keys', () => {
  let f: CliFixture;
  const tessera = (...args: string[]) => runTessera(args, f.env);

  beforeAll(async () => {
    f = await startCliFixture();
  });
  afterAll(() => f.t.stop());

  it('lists the keys as a table and as {items}', async () => {
    const table = await tessera('keys', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^KID\s+ALG\s+STATE\s+CREATED_AT\s+ACTIVATED_AT\s+RETIRED_AT$/,
    );
    const { items } = (await tessera('keys', 'list', '--json')).json();
    expect(items.map((key: { state: string }) => key.state)).toEqual([
      'current',
      'current',
      'next',
      'next',
    ]);
  });

  it('exits 1 naming the wait when rotating too early, and rotates with --force', async () => {
    const early = await tessera('keys', 'rotate');
    expect(early.code).toBe(1);
    expect(stderrLines(early)).toEqual([expect.stringMatching(/possible in \d+ s.*HTTP 409/)]);

    const forced = await tessera('keys', 'rotate', '--force', '--json');
    expect(forced.code).toBe(0);
    const states = forced.json().items.map((key: { state: string }) => key.state);
    expect(states.filter((state: string) => state === 'retired')).toHaveLength(2);
  });

  it('retires a retired key at once and refuses an unknown kid', async () => {
    const { items } = (await tessera('keys', 'list', '--json')).json();
    const retired = items.find((key: { state: string }) => key.state === 'retired');
    const run = await tessera('keys', 'retire', retired.kid, '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ kid: retired.kid, state: 'retired' });
    const unknown = await tessera('keys', 'retire', 'nope');
    expect(unknown.code).toBe(1);
    expect(stderrLines(unknown)).toEqual([expect.stringContaining('HTTP 404')]);
  });

  it("takes a kid that starts with '-' as the kid, not as an option", async () => {
    // One thumbprint in 64 starts with '-' (base64url).
    const dashed = await tessera('keys', 'retire', '-nope', '--json');
    expect(dashed.code).toBe(1);
    expect(stderrLines(dashed)).toEqual([expect.stringContaining('HTTP 404')]);
  });
});
