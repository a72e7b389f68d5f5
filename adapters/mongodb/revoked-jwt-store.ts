import type { RevokedJwtStore } from '../../src/ports/revoked-jwts.ts';
import { revokedJwtsOf, type MongoStoreContext } from './collections.ts';
import { inSession, writeRecordWithEvents } from './write-with-events.ts';

/**
 * Revoked `jti`s as the `_id` of one collection. Recording one is an insert: the `_id` index
 * refuses a second one atomically on every server, and the write's events
 * go with the insert that won (write-with-events.ts). Reads check `expiresAt` in code, as the
 * oidc-model store does: a filter on `_id` alone is one index entry on every server.
 */
export function createMongoRevokedJwtStore(ctx: MongoStoreContext): RevokedJwtStore {
  // Looked up per call: the connection may have been replaced (mongo-connection.ts).
  const revoked = () => revokedJwtsOf(ctx.db);
  return {
    add: (record, options) =>
      writeRecordWithEvents(ctx, options, async (session) => {
        await revoked().insertOne(
          { _id: record.jti, expiresAt: new Date(record.exp * 1000) },
          inSession(session),
        );
        return 1;
      }),

    async has(jti) {
      const document = await revoked().findOne({ _id: jti }, { projection: { expiresAt: 1 } });
      return document !== null && document.expiresAt.getTime() > ctx.clock();
    },

    async pruneExpired() {
      const { deletedCount } = await revoked().deleteMany({
        expiresAt: { $lte: new Date(ctx.clock()) },
      });
      return deletedCount;
    },
  };
}
