/** One message for the event stream: the CloudEvent JSON under its partition key. */
export interface PublishedMessage {
  /** Kafka message key: every message with one key lands on one partition, in order. */
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Where the outbox relay publishes events (adapters/kafka). */
export interface EventPublisher {
  /**
   * Publishes `messages` in the given order per key and resolves once the broker has
   * acknowledged every one durably (Kafka: acks=all). Rejects when any may not have been
   * written, within a bounded time; the caller then publishes the whole batch again, so a
   * consumer may see a message twice (with the same CloudEvent id), never one missing.
   */
  publish(messages: readonly PublishedMessage[]): Promise<void>;
  close(): Promise<void>;
}
