/**
 * A store-wide stamp of the client and resource-server catalog. Every write of a client or a
 * resource server (insert, update, delete, which covers adding and removing secrets) moves it, by
 * whichever process made the write: another replica, another TESSERA_WORKERS process,
 * `tessera init`. Replicas poll it to drop what they cached (src/storage/catalog-change-poller.ts).
 *
 * Adapters move it after the record write is durable (in the same transaction where they have
 * one), so a reader that sees a new generation and then reads the record reads the new record.
 */
export interface CatalogGenerationStore {
  /**
   * The current generation, opaque: compare two for equality only. Once a catalog write has
   * returned true, every later read answers a value different from every value read before that
   * write began. Reads and refused writes leave it as it was.
   */
  read(): Promise<string>;
}
