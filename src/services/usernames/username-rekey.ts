import type { Logger } from 'pino';

import type { AccountRecord, AccountStore } from '../../ports/accounts.ts';
import { usernameKeyOf } from '../account-rules.ts';
import { usernameSkeletonOf } from './username-skeleton.ts';

/** Accounts read per page. */
const PAGE = 200;
/** Re-reads when the account keeps changing under the re-key (sign-in and admins write it too). */
const ATTEMPTS = 8;

/** Two accounts whose usernames the current rules consider the same, or look-alikes. */
export interface UsernameCollision {
  /** The account that keeps its old key, or gets no skeleton. */
  readonly accountId: string;
  /** The account already holding the key or skeleton it would need. */
  readonly conflictsWith: string | undefined;
  /**
   * `same_username`: the new key is the other account's (the account keeps its old key, and a
   * sign-in with its username now finds the other account); `confusable`: only the skeleton is
   * (the account gets its new key and no skeleton).
   */
  readonly kind: 'same_username' | 'confusable';
}

export interface RekeyReport {
  /** Accounts without a skeleton that were looked at. */
  readonly checked: number;
  /** Accounts given a skeleton (and a new key where it changed). */
  readonly rekeyed: number;
  readonly collisions: readonly UsernameCollision[];
}

/**
 * Brings the stored username keys and skeletons of accounts up to the current rules
 * (usernameKeyOf, usernameSkeletonOf). SQL cannot compute them, so this runs in Tessera, through
 * the store port, at startup and in `tessera migrate`: on every account still without a skeleton
 * — those stored before skeletons existed (the SQLite migration adds the column empty; MongoDB
 * documents lack the field), and those an earlier run found colliding. A future change of either
 * function must come with a step that clears every skeleton again, so that this revisits them.
 *
 * Two accounts that the new rules make one username, or look-alikes, are never merged: the one
 * met second keeps what it has (its old key) or gets no skeleton, and is reported, at each run
 * until an administrator resolves it. Idempotent, and safe while Tessera serves and when several
 * processes run it at once (each write is optimistic on the account's version).
 */
export async function rekeyUsernames(accounts: AccountStore): Promise<RekeyReport> {
  let checked = 0;
  let rekeyed = 0;
  const collisions: UsernameCollision[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await accounts.listWithoutSkeleton({ after, limit: PAGE });
    for (const record of page) {
      checked += 1;
      const outcome = await rekeyAccount(accounts, record);
      if (outcome === 'rekeyed') rekeyed += 1;
      else if (outcome !== 'skipped') collisions.push(outcome);
    }
    if (page.length < PAGE) break;
    after = page.at(-1)!.id;
  }
  return { checked, rekeyed, collisions };
}

async function rekeyAccount(
  accounts: AccountStore,
  record: AccountRecord,
): Promise<'rekeyed' | 'skipped' | UsernameCollision> {
  const usernameKey = usernameKeyOf(record.username);
  const usernameSkeleton = usernameSkeletonOf(usernameKey);
  let current: AccountRecord | undefined = record;
  let skeleton: string | undefined = usernameSkeleton;
  for (let attempt = 0; attempt < ATTEMPTS && current; attempt += 1) {
    // Gone meanwhile, or re-keyed by another process: nothing left to do.
    if (current.usernameSkeleton !== undefined) return 'skipped';
    const outcome = await accounts.rekeyUsername({
      ...current,
      usernameKey,
      usernameSkeleton: skeleton,
      version: current.version + 1,
    });
    if (outcome === 'saved') {
      return skeleton === undefined
        ? {
            accountId: record.id,
            conflictsWith: await holderOf(accounts, usernameSkeleton, record.id),
            kind: 'confusable',
          }
        : 'rekeyed';
    }
    if (outcome === 'taken') {
      const sameKey = await accounts.getByUsernameKey(usernameKey);
      if (sameKey && sameKey.id !== record.id) {
        return { accountId: record.id, conflictsWith: sameKey.id, kind: 'same_username' };
      }
      // Only the skeleton is taken: the account still gets its key, so its sign-in works.
      skeleton = undefined;
      if (current.usernameKey === usernameKey) {
        return {
          accountId: record.id,
          conflictsWith: await holderOf(accounts, usernameSkeleton, record.id),
          kind: 'confusable',
        };
      }
      continue;
    }
    current = await accounts.get(record.id);
  }
  return 'skipped';
}

async function holderOf(
  accounts: AccountStore,
  usernameSkeleton: string,
  exceptId: string,
): Promise<string | undefined> {
  const holder = await accounts.getByUsernameSkeleton(usernameSkeleton);
  return holder && holder.id !== exceptId ? holder.id : undefined;
}

/**
 * Logs what rekeyUsernames did: a line when it changed anything, and a warning per collision,
 * naming account ids only (no username: the log is not where people's names go).
 */
export function logUsernameRekey(report: RekeyReport, logger: Logger): void {
  if (report.rekeyed > 0) {
    logger.info(
      { checked: report.checked, rekeyed: report.rekeyed },
      'usernames re-keyed to the current username rules',
    );
  }
  for (const collision of report.collisions) {
    logger.warn(
      { ...collision },
      collision.kind === 'same_username'
        ? 'two accounts now share a username: this one keeps its old key, so signing in with its username reaches the other account; disable one of them'
        : "an account's username looks like another account's: both keep working and new look-alikes are refused; disable it if it is a spoof",
    );
  }
}
