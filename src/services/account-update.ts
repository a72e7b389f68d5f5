import type { AccountRecord, AccountStore } from '../ports/accounts.ts';
import type { OutboxEvent } from '../ports/outbox.ts';

/** Optimistic updates retried this often when sign-in and an admin write the same account. */
const UPDATE_ATTEMPTS = 8;

/**
 * Applies `change` to `current` and saves it over the version it holds, re-reading and
 * re-applying when another writer got there first. `eventsFor` builds the change's events from
 * the record about to be saved; they are recorded by the same write (WriteOptions.events).
 * `change` answers undefined when it no longer applies to the record read: nothing is written
 * and that record is returned. Returns the saved record, or undefined when the account is gone
 * or every attempt lost the race.
 */
export async function saveAccountChange(
  accounts: AccountStore,
  current: AccountRecord,
  change: (current: AccountRecord) => Omit<AccountRecord, 'version'> | undefined,
  eventsFor: (next: AccountRecord) => readonly OutboxEvent[],
): Promise<AccountRecord | undefined> {
  let latest: AccountRecord | undefined = current;
  for (let attempt = 0; attempt < UPDATE_ATTEMPTS && latest; attempt += 1) {
    const changed = change(latest);
    // The change no longer applies to what is stored: nothing to write, no version to move.
    if (changed === undefined) return latest;
    const next: AccountRecord = { ...changed, version: latest.version + 1 };
    if (await accounts.update(next, { events: eventsFor(next) })) return next;
    latest = await accounts.get(current.id);
  }
  return undefined;
}
