import type { OutboxEvent } from './outbox.ts';

/**
 * Options every mutating port method accepts. `events` are appended to the outbox by the same
 * write path as the state change (DESIGN.md section 7, transactional outbox): an adapter either
 * commits both or neither, or (without transactions) records the events first.
 */
export interface WriteOptions {
  readonly events?: readonly OutboxEvent[];
}
