import type { AccountRecord } from '../ports/accounts.ts';
import { profileOf, type AccountProfile } from './account-profile.ts';

/** An account as the admin API, the CLI and the sign-in pages see it (no hash, no counters). */
export interface AccountView extends AccountProfile {
  readonly id: string;
  readonly username: string;
  readonly email: string | undefined;
  readonly emailVerified: boolean;
  readonly disabled: boolean;
  /** Epoch ms until which sign-in is locked; undefined when not locked. */
  readonly lockedUntil: number | undefined;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export function toAccountView(record: AccountRecord, now: number): AccountView {
  return {
    id: record.id,
    username: record.username,
    email: record.email,
    emailVerified: record.emailVerified,
    ...profileOf(record),
    disabled: record.disabled,
    lockedUntil:
      record.lockedUntil !== undefined && record.lockedUntil > now ? record.lockedUntil : undefined,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
