import type { EventData } from '../events/event-schema.ts';
import type { AccountRecord, AccountStore } from '../ports/accounts.ts';
import type { OutboxEvent } from '../ports/outbox.ts';
import {
  applyProfileChange,
  normaliseProfile,
  profileOf,
  type ProfileChange,
  type ProfileFieldName,
  type ProfileInput,
} from './account-profile.ts';
import { normaliseEmail, normaliseUsername, usernameKeyOf } from './account-rules.ts';
import { toAccountView, type AccountView } from './account-view.ts';
import { saveAccountChange } from './account-update.ts';
import { AppError } from './app-error.ts';
import {
  createAuthenticator,
  type AuthenticatorDeps,
  type LoginAttempt,
  type LoginResult,
} from './authenticator.ts';
import { createAccountPasswords } from './account-passwords.ts';
import { generateId } from './ids.ts';
import { assertAcceptablePassword } from './passwords/password-policy.ts';
import type { ImportedPasswordHash } from './passwords/imported-password-hashes.ts';
import { usernameSkeletonOf } from './usernames/username-skeleton.ts';

export interface NewAccount extends ProfileInput {
  readonly username: string;
  /** Exactly one of `password` and `importedHash`. */
  readonly password?: string | undefined;
  /**
   * A hash made by another server, kept until the first sign-in rehashes it
   * (imported-password-hashes.ts); null imports the account without a usable password, so that
   * an administrator must set one (docs/keycloak-import.md).
   */
  readonly importedHash?: ImportedPasswordHash | null | undefined;
  readonly email?: string | undefined;
  readonly emailVerified?: boolean | undefined;
  /** Default false. */
  readonly disabled?: boolean | undefined;
}

/**
 * End-user accounts: the admin API and CLI manage them, the sign-in pages authenticate against
 * them. Errors are AppError: `not_found`, `conflict` (username taken), `validation_failed` with
 * the offending field.
 */
export interface AccountService {
  create(input: NewAccount): Promise<AccountView>;
  get(id: string): Promise<AccountView>;
  list(query: {
    after?: string | undefined;
    limit: number;
    search?: string | undefined;
  }): Promise<AccountView[]>;
  /** Disabling also revokes every grant and session of the account (AccountAccessRevoker). */
  setDisabled(id: string, disabled: boolean): Promise<AccountView>;
  /** Clears the failed-attempt count and any lockout. */
  unlock(id: string): Promise<AccountView>;
  /**
   * Sets or removes profile fields (account-profile.ts); a change that leaves every field as it
   * is writes nothing and records no event.
   */
  updateProfile(id: string, change: ProfileChange): Promise<AccountView>;
  /** Also revokes every grant and session of the account (AccountAccessRevoker). */
  setPassword(id: string, password: string): Promise<void>;
  /** Checks a sign-in attempt, applying throttling and lockout; see authenticator.ts. */
  authenticate(attempt: LoginAttempt): Promise<LoginResult>;
}

/** An administrator's change that takes away everything the account holds. */
export type AccessRevocationReason = 'account_disabled' | 'password_changed' | 'factors_reset';

/**
 * Revokes an account's grants (with every token issued under them) and ends its sessions,
 * announcing each; implemented over the oidc-provider store (provider/account-access-revocation.ts).
 */
export interface AccountAccessRevoker {
  revokeAccountAccess(
    accountId: string,
    reason: AccessRevocationReason,
  ): Promise<{ readonly sessions: number; readonly grants: number }>;
}

/** The authenticator's dependencies (sign-in), and what an administrator's changes revoke. */
export interface AccountServiceDeps extends AuthenticatorDeps {
  /** Called after a disable or an administrator's password change has been saved. */
  readonly accessRevoker: AccountAccessRevoker;
  /** NODE_ENV=production: profile pictures must be https (account-profile.ts). */
  readonly production: boolean;
}

export type { AccountView };

export const MAX_LIST_LIMIT = 500;

/**
 * Reads the account and saves `change` over it (saveAccountChange). AppError `not_found` when
 * there is no such account, `conflict` when concurrent writers kept winning.
 */
async function updateAccount(
  accounts: AccountStore,
  id: string,
  change: (current: AccountRecord) => Omit<AccountRecord, 'version'>,
  eventsFor: (next: AccountRecord) => readonly OutboxEvent[],
): Promise<AccountRecord> {
  const current = await accounts.get(id);
  const saved = current && (await saveAccountChange(accounts, current, change, eventsFor));
  if (saved) return saved;
  if (!current || !(await accounts.get(id))) {
    throw new AppError('not_found', `account ${id} does not exist`);
  }
  throw new AppError('conflict', `account ${id} is being changed concurrently; retry`);
}

type AccountChange = EventData<'tessera.account.updated'>['change'];

export function createAccountService(deps: AccountServiceDeps): AccountService {
  const { accounts, hasher, newEvent, accessRevoker, clock } = deps;
  const profileRules = { production: deps.production };
  const view = (record: AccountRecord) => toAccountView(record, clock());
  const authenticator = createAuthenticator(deps);

  const { hashPassword, initialPasswordHash } = createAccountPasswords(hasher);

  /**
   * The event of an administrator's change, keyed by the account id like the account's sign-in
   * and token events. It names the account and what changed, nothing else: no username, email,
   * password or hash, and of a profile change only which fields changed, never their values
   * (docs/events.md).
   */
  const updatedEvent =
    (change: AccountChange, fields?: readonly ProfileFieldName[]) => (next: AccountRecord) => [
      newEvent({
        type: 'tessera.account.updated',
        subject: next.id,
        data: {
          account_id: next.id,
          change,
          ...(fields === undefined ? {} : { fields: [...fields] }),
          disabled: next.disabled,
          version: next.version,
        },
      }),
    ];

  /**
   * Why an insert was refused: the username key taken (the same username, in any case or width),
   * or the skeleton (a username that looks like an existing one, username-skeleton.ts). Both are
   * 409 naming `username`; the message does not name the other account.
   */
  const refusedUsername = async (record: AccountRecord): Promise<AppError> => {
    const sameKey = await accounts.getByUsernameKey(record.usernameKey);
    if (!sameKey && record.usernameSkeleton !== undefined) {
      if (await accounts.getByUsernameSkeleton(record.usernameSkeleton)) {
        return new AppError(
          'conflict',
          `username ${record.username} looks too much like an existing username; choose another`,
          { field: 'username' },
        );
      }
    }
    return new AppError('conflict', `username ${record.username} is taken`, { field: 'username' });
  };

  return {
    async create(input) {
      const username = normaliseUsername(input.username);
      const usernameKey = usernameKeyOf(username);
      const email = normaliseEmail(input.email);
      const profile = normaliseProfile(input, profileRules);
      const passwordHash = await initialPasswordHash(input, username);
      const now = clock();
      const record: AccountRecord = {
        id: generateId('acc'),
        username,
        usernameKey,
        usernameSkeleton: usernameSkeletonOf(usernameKey),
        email,
        emailVerified: email !== undefined && input.emailVerified === true,
        ...profile,
        disabled: input.disabled === true,
        passwordHash,
        failedLogins: undefined,
        lockedUntil: undefined,
        createdAt: now,
        updatedAt: now,
        version: 1,
      };
      const created = newEvent({
        type: 'tessera.account.created',
        subject: record.id,
        data: { account_id: record.id, version: record.version },
      });
      if (!(await accounts.insert(record, { events: [created] }))) {
        throw await refusedUsername(record);
      }
      return view(record);
    },

    async get(id) {
      const record = await accounts.get(id);
      if (!record) throw new AppError('not_found', `account ${id} does not exist`);
      return view(record);
    },

    async list(query) {
      if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > MAX_LIST_LIMIT) {
        throw new AppError('validation_failed', `limit must be 1 to ${MAX_LIST_LIMIT}`, {
          field: 'limit',
        });
      }
      const search = query.search?.trim();
      const records = await accounts.list({
        after: query.after,
        limit: query.limit,
        search: search === '' ? undefined : search,
      });
      return records.map(view);
    },

    async setDisabled(id, disabled) {
      const saved = await updateAccount(
        accounts,
        id,
        (current) => ({ ...current, disabled, updatedAt: clock() }),
        updatedEvent(disabled ? 'disabled' : 'enabled'),
      );
      // After the account is saved disabled, so nothing new can be issued to it meanwhile.
      // Disabling an already disabled account runs this again: it completes a revocation that
      // a failure cut short.
      if (disabled) await accessRevoker.revokeAccountAccess(id, 'account_disabled');
      return view(saved);
    },

    async unlock(id) {
      const saved = await updateAccount(
        accounts,
        id,
        (current) => ({ ...current, failedLogins: undefined, lockedUntil: undefined }),
        updatedEvent('unlocked'),
      );
      return view(saved);
    },

    async updateProfile(id, change) {
      const current = await accounts.get(id);
      if (!current) throw new AppError('not_found', `account ${id} does not exist`);
      // Checked before anything is written: a bad field is a 400 whatever the store holds.
      let { changed } = applyProfileChange(profileOf(current), change, profileRules);
      if (changed.length === 0) return view(current);
      // A merge patch of the named fields, re-applied on whatever version is current: a sign-in
      // or another admin's change of other fields landing in between is kept (account-update.ts).
      // The event names the fields this write changed over the version it replaces.
      const saved = await updateAccount(
        accounts,
        id,
        (latest) => {
          const applied = applyProfileChange(profileOf(latest), change, profileRules);
          changed = applied.changed;
          return { ...latest, ...applied.profile, updatedAt: clock() };
        },
        (next) => updatedEvent('profile_changed', changed)(next),
      );
      return view(saved);
    },

    async setPassword(id, password) {
      const current = await accounts.get(id);
      if (!current) throw new AppError('not_found', `account ${id} does not exist`);
      assertAcceptablePassword(password, current.username);
      const passwordHash = await hashPassword(password);
      // A new password set by an administrator also lifts a lockout earned with the old one.
      await updateAccount(
        accounts,
        id,
        (latest) => ({
          ...latest,
          passwordHash,
          failedLogins: undefined,
          lockedUntil: undefined,
          updatedAt: clock(),
        }),
        updatedEvent('password_changed'),
      );
      // An administrator sets a password when the old one is lost or known to someone else:
      // whoever signed in with it keeps nothing (docs/admin-api-and-cli.md "Admin API").
      await accessRevoker.revokeAccountAccess(id, 'password_changed');
    },

    authenticate: (attempt) => authenticator.authenticate(attempt),
  };
}
