/** One CloudEvents 1.0 event waiting in (or published from) the outbox. */
export interface OutboxEvent {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly subject: string;
  /** RFC 3339 time of the change. */
  readonly time: string;
  readonly data: Readonly<Record<string, unknown>>;
  /** Kafka message key: keeps one subject's (or client's) events in order. */
  readonly key: string;
}

export interface StoredOutboxEvent extends OutboxEvent {
  /** Position in the outbox: increasing in append order (there may be gaps). */
  readonly sequence: number;
  /** Epoch ms (the appending process's clock) when it was appended. */
  readonly createdAt: number;
  /** Epoch ms when the relay published it; undefined while pending. */
  readonly publishedAt: number | undefined;
}

export interface OutboxQuery {
  readonly type?: string;
  readonly limit: number;
}

export interface PendingQuery {
  readonly limit: number;
  /**
   * Only events appended at or before this epoch ms. The relay's settle delay: on a store
   * without transactions an event is written just before its change and taken back if the
   * change is refused, and concurrent appends may become visible slightly out of sequence.
   */
  readonly appendedUpTo: number;
}

/** What has not been published yet. */
export interface OutboxBacklog {
  readonly pending: number;
  /** Epoch ms the oldest pending event was appended; undefined when none is pending. */
  readonly oldestPendingAt: number | undefined;
}

export interface PruneQuery {
  /** Epoch ms: events published before this go. */
  readonly before: number;
  /**
   * Also delete events never published that were appended before `before`: for deployments
   * without a relay (no KAFKA_BROKERS), where nothing would ever publish them.
   */
  readonly unpublished: boolean;
}

/**
 * The transactional outbox. Appends happen through the other ports' WriteOptions; the relay
 * (src/relay/outbox-relay.ts) reads pending events in order, publishes them and marks them.
 * Which replica may publish is decided by the relay's lease (LeaseStore), not here.
 */
export interface OutboxStore {
  append(events: readonly OutboxEvent[]): Promise<void>;
  /** Newest first. */
  listRecent(query: OutboxQuery): Promise<StoredOutboxEvent[]>;
  /**
   * Unpublished events in sequence order, oldest first. Selected by "not published", never by
   * "sequence above the last one seen": sequences may have gaps and, where they are handed out
   * outside transactions (MongoDB), become visible out of order.
   */
  listPending(query: PendingQuery): Promise<StoredOutboxEvent[]>;
  /** Marks events published; ids already marked, or absent, are left alone. */
  markPublished(ids: readonly string[], publishedAt: number): Promise<void>;
  /** Deletes what PruneQuery names; returns how many went. */
  prune(query: PruneQuery): Promise<number>;
  backlog(): Promise<OutboxBacklog>;
}
