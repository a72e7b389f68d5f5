import type { EventFactory } from '../events/event-factory.ts';
import type { AccountRecord, AccountStore } from '../ports/accounts.ts';
import type { AuthenticationMethod } from './authentication-context.ts';
import type { HeldTurn } from './sign-in-reservations.ts';

/**
 * What a finished sign-in records: `tessera.login.succeeded` with how it was done (`amr`), the
 * account's failures cleared with it, and the client IP's turn given back (only failures count
 * against an IP). The account's turn goes with every failure before it, as a success clears them.
 */
export async function recordLoginSuccess(
  accounts: AccountStore,
  newEvent: EventFactory,
  success: {
    readonly accountId: string;
    readonly clientId: string | undefined;
    readonly ipHash: string;
    readonly amr: readonly AuthenticationMethod[];
    /** The client IP's turn, when the sign-in took one (a passkey takes none). */
    readonly ipTurn?: HeldTurn | undefined;
    /**
     * The account as the sign-in last read or stored it (its turn's `account`): clearing the
     * failures writes over it without reading the account again while it is still the
     * stored version (AccountStore.changeSignInState's guess).
     */
    readonly account?: AccountRecord | undefined;
  },
): Promise<void> {
  const event = newEvent({
    type: 'tessera.login.succeeded',
    subject: success.accountId,
    data: {
      account_id: success.accountId,
      client_id: success.clientId ?? null,
      ip_hash: success.ipHash,
      amr: [...success.amr],
    },
  });
  await Promise.all([
    success.ipTurn?.release(),
    accounts.changeSignInState(
      success.accountId,
      () => ({ next: { failedLogins: undefined, lockedUntil: undefined }, result: true }),
      { events: [event], guess: success.account },
    ),
  ]);
}
