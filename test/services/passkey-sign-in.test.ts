import { randomBytes } from 'node:crypto';

import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import { createPasskeySignIn } from '../../src/services/factors/passkey-sign-in.ts';
import type { PasskeyService } from '../../src/services/factors/passkeys.ts';
import { startAccountHarness, type AccountHarness } from '../helpers/account-harness.ts';

const PASSWORD = 'correct horse battery staple';

describe('a passkey sign-in', () => {
  let h: AccountHarness;
  let aliceId: string;

  beforeEach(async () => {
    h = startAccountHarness();
    aliceId = (await h.accounts.create({ username: 'alice', password: PASSWORD })).id;
  });
  afterEach(() => h.stop());

  // The WebAuthn ceremony itself is proven in test/browser/passkeys.test.ts; here a passkey
  // service that verified Alice's credential stands in for it.
  const signInWithAlicesPasskey = (after?: { accountId: string }) =>
    createPasskeySignIn({
      passkeys: {
        authenticate: async () => ({ accountId: aliceId, methods: ['hwk', 'user'] }),
      } as unknown as PasskeyService,
      accounts: h.storage.accounts,
      newEvent: createEventFactory({
        source: 'http://localhost',
        clock: h.clock,
        onInvalid: throwInvalidEvent,
      }),
      pepper: randomBytes(32),
    }).signIn({
      response: {} as AuthenticationResponseJSON,
      scope: 'interaction',
      ip: '127.0.0.1',
      clientId: 'app',
      after: after && { accountId: after.accountId, methods: ['pwd'] },
    });

  it('clears the failures counted before it, as every other sign-in does', async () => {
    await h.accounts.authenticate({
      username: 'alice',
      password: 'wrong',
      ip: '127.0.0.1',
      clientId: 'app',
    });
    expect((await h.storage.accounts.get(aliceId))?.failedLogins?.count).toBe(1);

    const result = await signInWithAlicesPasskey({ accountId: aliceId });

    expect(result).toMatchObject({ outcome: 'success', methods: ['pwd', 'hwk', 'user', 'mfa'] });
    expect((await h.storage.accounts.get(aliceId))?.failedLogins).toBeUndefined();
    const [event] = await h.events('tessera.login.succeeded');
    expect(event?.data).toMatchObject({ account_id: aliceId, amr: ['pwd', 'hwk', 'user', 'mfa'] });
  });
});
