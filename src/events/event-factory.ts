import { randomUUID } from 'node:crypto';

import type { OutboxEvent } from '../ports/outbox.ts';
import type { EventType } from './event-types.ts';

export interface NewEvent {
  readonly type: EventType;
  /** CloudEvents `subject`: the user id, client id or key id the event is about. */
  readonly subject: string;
  /** Kafka message key; defaults to the subject so one subject's events stay ordered. */
  readonly key?: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Stamps CloudEvents envelopes (id, source, time) onto events; one per composition root. */
export type EventFactory = (event: NewEvent) => OutboxEvent;

export function createEventFactory(deps: { source: string; clock: () => number }): EventFactory {
  return (event) => ({
    id: randomUUID(),
    type: event.type,
    source: deps.source,
    subject: event.subject,
    time: new Date(deps.clock()).toISOString(),
    data: event.data,
    key: event.key ?? event.subject,
  });
}
