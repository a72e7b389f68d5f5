import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startCliFixture, type CliFixture } from '../helpers/cli-fixture.ts';
import { runTessera } from '../helpers/cli-runner.ts';
import { createUser } from '../helpers/sign-in-fixtures.ts';
import { CHEAP_ARGON2 } from '../helpers/test-tessera.ts';

describe('tessera users factors / reset-factors', () => {
  let f: CliFixture;
  const tessera = (args: string[]) => runTessera(args, f.env);

  beforeAll(async () => {
    f = await startCliFixture({ ...CHEAP_ARGON2 });
  });
  afterAll(() => f.t.stop());

  it("lists a user's factors, then removes them all", async () => {
    const id = await createUser(f.t, 'ada');
    const enrolment = await f.t.tessera.factors.startTotp(id, 'ada');
    await f.t.tessera.factors.confirmTotp(id, await generate({ secret: enrolment!.secret }));

    const listed = await tessera(['users', 'factors', id]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^KIND\s+NAME\s+CREATED_AT\s+LAST_USED_AT\s+REMAINING/m);
    expect(listed.stdout).toMatch(/^totp\s/m);

    const reset = await tessera(['users', 'reset-factors', id, '--json']);
    expect(reset.code).toBe(0);
    expect(reset.json()).toEqual({ id, removed: 1, sessions_ended: 0 });
    expect((await tessera(['users', 'factors', id])).stdout).toContain('No second factors.');
  });

  it('exits non-zero for an unknown user', async () => {
    const run = await tessera(['users', 'factors', 'acc_nobody']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('acc_nobody does not exist');
  });
});
