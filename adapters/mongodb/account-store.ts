import type { Page } from '../../src/ports/clients.ts';
import type {
  AccountQuery,
  AccountRecord,
  AccountStore,
  RekeyOutcome,
  SignInStateOptions,
} from '../../src/ports/accounts.ts';
import { withSignInState } from '../../src/ports/accounts.ts';
import { StoreUnavailableError } from '../../src/ports/storage.ts';
import type { WriteOptions } from '../../src/ports/write-options.ts';
import { accountsOf, type AccountDocument, type MongoStoreContext } from './collections.ts';
import { createKeyQueue } from './key-queue.ts';
import { isDuplicateKeyError, isStoreUnreachable } from './store-errors.ts';
import { inSession, writeRecordWithEvents } from './write-with-events.ts';

/** What `search` matches against: lower-cased username, email and name, one per line. */
const searchTextOf = (record: AccountRecord): string =>
  [record.username, record.email ?? '', record.name ?? ''].join('\n').toLowerCase();

/** The document; `usernameSkeleton` left out, not null, when there is none (collections.ts). */
const toDocument = (record: AccountRecord): AccountDocument => ({
  _id: record.id,
  usernameKey: record.usernameKey,
  ...(record.usernameSkeleton === undefined ? {} : { usernameSkeleton: record.usernameSkeleton }),
  searchText: searchTextOf(record),
  version: record.version,
  record: JSON.stringify(record),
});

const toRecord = (document: Pick<AccountDocument, 'record'>): AccountRecord =>
  JSON.parse(document.record) as AccountRecord;

const RECORD_ONLY = { projection: { record: 1 } } as const;

/**
 * Rounds of read and compare-and-set of a sign-in state before giving up (503). A round is lost
 * only to another writer of the same account that won its own.
 */
const SIGN_IN_STATE_ATTEMPTS = 100;

/** A regular expression matching `text` literally. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A filter on the skeleton a record has, absent included. */
const skeletonFilter = (record: AccountRecord) =>
  record.usernameSkeleton === undefined
    ? { usernameSkeleton: { $exists: false } }
    : { usernameSkeleton: record.usernameSkeleton };

/**
 * Accounts keyed by id, with unique indexes on the username key and skeleton (migrations.ts).
 * Updates are optimistic on `version`, as in client-store.ts; the username key and skeleton are
 * part of the filter so an update can never move an account onto another's username.
 */
export function createMongoAccountStore(ctx: MongoStoreContext): AccountStore {
  // Resolved per call: the connection may be replaced (mongo-connection.ts).
  const accounts = () => accountsOf(ctx.db);
  const { conditionalWrites } = ctx.profile;
  const signInQueue = createKeyQueue();

  /**
   * MongoDB reports a write that breaks a unique index as a duplicate key; a server may report an
   * update that does as an internal error without a code to tell (resource-server-store.ts).
   * That write was refused when another account holds the key or the skeleton.
   */
  const isUsernameClash = async (error: unknown, record: AccountRecord) => {
    if (isDuplicateKeyError(error)) return true;
    if (isStoreUnreachable(error)) return false;
    const others = { _id: { $ne: record.id } };
    const holders = await Promise.all([
      accounts().findOne(
        { usernameKey: record.usernameKey, ...others },
        { projection: { _id: 1 } },
      ),
      record.usernameSkeleton === undefined
        ? null
        : accounts().findOne(
            { usernameSkeleton: record.usernameSkeleton, ...others },
            { projection: { _id: 1 } },
          ),
    ]);
    return holders.some((holder) => holder !== null);
  };

  return {
    async insert(record: AccountRecord, options?: WriteOptions) {
      return writeRecordWithEvents(ctx, options, async (session) => {
        await accounts().insertOne(toDocument(record), inSession(session));
        return 1;
      });
    },

    async get(id: string) {
      const document = await accounts().findOne({ _id: id }, RECORD_ONLY);
      return document ? toRecord(document) : undefined;
    },

    async getByUsernameKey(usernameKey: string) {
      const document = await accounts().findOne({ usernameKey }, RECORD_ONLY);
      return document ? toRecord(document) : undefined;
    },

    async getByUsernameSkeleton(usernameSkeleton: string) {
      const document = await accounts().findOne({ usernameSkeleton }, RECORD_ONLY);
      return document ? toRecord(document) : undefined;
    },

    async list(query: AccountQuery) {
      const filter = {
        _id: { $gt: query.after ?? '' },
        ...(query.search ? { searchText: { $regex: literal(query.search.toLowerCase()) } } : {}),
      };
      const documents = await accounts()
        .find(filter, RECORD_ONLY)
        .sort({ _id: 1 })
        .limit(query.limit)
        .toArray();
      return documents.map(toRecord);
    },

    async listWithoutSkeleton(page: Page) {
      const documents = await accounts()
        .find({ _id: { $gt: page.after ?? '' }, usernameSkeleton: { $exists: false } }, RECORD_ONLY)
        .sort({ _id: 1 })
        .limit(page.limit)
        .toArray();
      return documents.map(toRecord);
    },

    async update(record: AccountRecord, options?: WriteOptions) {
      return conditionalWrites.compareAndSet([`accounts:${record.id}`], () =>
        writeRecordWithEvents(ctx, options, async (session) => {
          const { searchText, version, record: json } = toDocument(record);
          const result = await accounts().updateOne(
            {
              _id: record.id,
              usernameKey: record.usernameKey,
              ...skeletonFilter(record),
              version: record.version - 1,
            },
            { $set: { searchText, version, record: json } },
            inSession(session),
          );
          return result.matchedCount;
        }),
      );
    },

    // A compare-and-set on `version`, as `update` is, re-read and re-decided when another writer
    // came first. The first round may take the caller's guess for the read (a stale one loses
    // its compare-and-set; a refusal decided on it is decided again on a read). Sign-in changes
    // of one account from this process queue in memory first (key-queue.ts).
    async changeSignInState(id, change, options?: SignInStateOptions) {
      const documentKey = `accounts:${id}`;
      let guess = options?.guess?.id === id ? options.guess : undefined;
      const read = async () => {
        const document = await accounts().findOne({ _id: id }, RECORD_ONLY);
        return document ? toRecord(document) : undefined;
      };
      return signInQueue.run(documentKey, () =>
        conditionalWrites.compareAndSet([documentKey], async () => {
          for (let round = 0; round < SIGN_IN_STATE_ATTEMPTS; round += 1) {
            const guessed = guess !== undefined;
            const current = guess ?? (await read());
            guess = undefined;
            if (!current) return undefined;
            const { next, result } = change(current);
            if (!next && guessed) continue;
            if (!next) return result;
            const record = withSignInState(current, next);
            const swapped = await writeRecordWithEvents(ctx, options, async (session) => {
              const written = await accounts().updateOne(
                { _id: id, version: current.version },
                { $set: { version: record.version, record: JSON.stringify(record) } },
                inSession(session),
              );
              return written.matchedCount;
            });
            if (swapped) return result;
          }
          throw new StoreUnavailableError(`account ${id} is contended; retry`);
        }),
      );
    },

    async rekeyUsername(record: AccountRecord): Promise<RekeyOutcome> {
      const { _id, usernameSkeleton, ...fields } = toDocument(record);
      try {
        const result = await conditionalWrites.compareAndSet([`accounts:${record.id}`], () =>
          accounts().updateOne(
            { _id, version: record.version - 1 },
            usernameSkeleton === undefined
              ? { $set: fields, $unset: { usernameSkeleton: '' } }
              : { $set: { ...fields, usernameSkeleton } },
          ),
        );
        return result.matchedCount === 1 ? 'saved' : 'changed';
      } catch (error) {
        if (await isUsernameClash(error, record)) return 'taken';
        throw error;
      }
    },
  };
}
