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
  /** Monotonic position in the outbox (append order). */
  readonly sequence: number;
  /** Epoch ms when the relay published it; undefined while pending. */
  readonly publishedAt: number | undefined;
}

export interface OutboxQuery {
  readonly type?: string;
  readonly limit: number;
}

/** The transactional outbox. Appends happen through the other ports' WriteOptions. */
export interface OutboxStore {
  append(events: readonly OutboxEvent[]): Promise<void>;
  /** Newest first. */
  listRecent(query: OutboxQuery): Promise<StoredOutboxEvent[]>;
}
