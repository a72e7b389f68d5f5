import type { OutboxEvent } from '../ports/outbox.ts';

/** A stored event as the CloudEvents 1.0 structured-mode JSON object Tessera publishes. */
export function toCloudEvent(event: OutboxEvent) {
  return {
    specversion: '1.0' as const,
    id: event.id,
    source: event.source,
    type: event.type,
    time: event.time,
    subject: event.subject,
    datacontenttype: 'application/json' as const,
    partitionkey: event.key,
    data: event.data,
  };
}
