import type { OutboxEvent } from './outbox.ts';

/**
 * Options every mutating port method accepts. `events` are appended to the outbox by the same
 * write path as the state change (the transactional outbox): an adapter either commits both or
 * neither, or (without transactions) records the events first
 * (docs/decisions/0003-outbox-and-its-settle-rule.md).
 */
export interface WriteOptions {
  readonly events?: readonly OutboxEvent[];
}

/** Options of a delete: its events, and optionally the only version it may remove. */
export interface DeleteOptions extends WriteOptions {
  /**
   * Delete only while the stored version is still this one (a conditional delete, checked by
   * the same atomic write that deletes); otherwise delete nothing and answer false.
   */
  readonly expectedVersion?: number | undefined;
}
