import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { renderEventJsonSchema, EVENT_SCHEMA_PATH } from '../../scripts/generate-event-schema.ts';
import { toCloudEvent } from '../../src/events/cloud-event.ts';
import {
  createEventFactory,
  InvalidEventError,
  throwInvalidEvent,
  type NewEvent,
} from '../../src/events/event-factory.ts';
import { tesseraEventSchema } from '../../src/events/event-schema.ts';
import { EVENT_TYPES } from '../../src/events/event-types.ts';
import type { OutboxEvent } from '../../src/ports/outbox.ts';
import { SAMPLE_EVENTS } from '../helpers/sample-events.ts';

const newEvent = createEventFactory({
  source: 'https://id.example.com',
  clock: () => Date.UTC(2026, 0, 1),
  onInvalid: throwInvalidEvent,
});

describe('event schema', () => {
  it('is committed as docs/events.schema.json exactly as npm run events:schema writes it', () => {
    expect(readFileSync(EVENT_SCHEMA_PATH, 'utf8')).toBe(renderEventJsonSchema());
  });

  it('has a sample for every event type, and each one passes the producer check', () => {
    expect(SAMPLE_EVENTS.map((event) => event.type).sort()).toEqual([...EVENT_TYPES].sort());
    for (const sample of SAMPLE_EVENTS) expect(() => newEvent(sample)).not.toThrow();
  });

  it('stamps a CloudEvents 1.0 envelope whose partition key is the subject by default', () => {
    const event = newEvent(SAMPLE_EVENTS[0]!);
    const cloudEvent = tesseraEventSchema.parse(toCloudEvent(event));
    expect(cloudEvent).toMatchObject({
      specversion: '1.0',
      source: 'https://id.example.com',
      time: '2026-01-01T00:00:00.000Z',
      datacontenttype: 'application/json',
      subject: SAMPLE_EVENTS[0]!.subject,
      partitionkey: SAMPLE_EVENTS[0]!.subject,
    });
    expect(cloudEvent.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses at creation an event carrying a field its schema does not name', () => {
    const leaky = {
      type: 'tessera.login.failed',
      subject: 'acct_1',
      data: { ...loginFailedData(), password: 'hunter2' },
    } as unknown as NewEvent;
    expect(() => newEvent(leaky)).toThrow(InvalidEventError);
    expect(() => newEvent(leaky)).toThrow(/data: Unrecognized key: "password"/);
  });

  it('refuses at creation a revoked opaque token named by anything but its hash', () => {
    const raw = {
      type: 'tessera.token.revoked',
      subject: 'acct_1',
      data: {
        token_type: 'refresh_token',
        format: 'opaque',
        token_hash: 'the-raw-refresh-token-value',
        client_id: 'cl_1',
        sub: 'acct_1',
        grant_id: 'g1',
        exp: 1,
        reason: 'revocation_endpoint',
      },
    } as const;
    expect(() => newEvent(raw)).toThrow(/data.token_hash/);
  });

  it('reports a mismatch to onInvalid and still returns the event when told not to throw', () => {
    const reported: [InvalidEventError, OutboxEvent][] = [];
    const lenient = createEventFactory({
      source: 'https://id.example.com',
      clock: Date.now,
      onInvalid: (error, event) => reported.push([error, event]),
    });
    const event = lenient({
      type: 'tessera.client.deleted',
      subject: 'cl_1',
      data: {},
    } as unknown as NewEvent);
    expect(event.type).toBe('tessera.client.deleted');
    expect(reported).toHaveLength(1);
    expect(reported[0]![1]).toBe(event);
  });

  it('lets consumers read events carrying fields a newer Tessera added', () => {
    const event = toCloudEvent(newEvent(SAMPLE_EVENTS[0]!));
    const newer = { ...event, newattribute: 'x', data: { ...event.data, added_later: 1 } };
    const parsed = tesseraEventSchema.parse(newer);
    expect(parsed.data).toEqual(event.data);
  });

  it('refuses an event of an unknown type', () => {
    const event = { ...toCloudEvent(newEvent(SAMPLE_EVENTS[0]!)), type: 'tessera.unknown' };
    expect(tesseraEventSchema.safeParse(event).success).toBe(false);
  });
});

function loginFailedData() {
  const sample = SAMPLE_EVENTS.find((event) => event.type === 'tessera.login.failed');
  return sample!.data;
}
