import type { OutboxEvent } from '../src/ports/outbox.ts';
import type { SigningKeyRecord, SigningKeyStore } from '../src/ports/signing-keys.ts';
import { generateKeyGeneration } from './generate-key-generation.ts';
import type { KeyEncrypter } from './key-encryption.ts';
import type { LifecycleAction, RotationReason } from './key-lifecycle.ts';

export interface KeyLifecycleWriterDeps {
  readonly keys: SigningKeyStore;
  readonly encrypter: KeyEncrypter;
  /**
   * Stamps the event into the outbox's envelope: the composition root passes its EventFactory
   * (src/events/event-factory.ts), which also checks it against the event schema.
   */
  readonly newEvent: (event: KeySetChangedEvent) => OutboxEvent;
  readonly clock: () => number;
}

/** The `tessera.keys.rotated` event (docs/events.md), before its envelope is stamped. */
export interface KeySetChangedEvent {
  readonly type: 'tessera.keys.rotated';
  readonly subject: string;
  readonly key: string;
  readonly data: {
    readonly reason: KeySetChange;
    readonly current: string[];
    readonly retired: string[];
    readonly removed: string[];
  };
}

/** Why the published key set changed, as the `tessera.keys.rotated` event says. */
export type KeySetChange = RotationReason | 'emergency_retire';

/**
 * Carries out lifecycle actions against the store. Every state change is one conditional write
 * (SigningKeyStore.transition expects the states it read), so an action decided on a stale view
 * changes nothing and returns false; the caller reads again and decides again.
 */
export interface KeyLifecycleWriter {
  /** Applies `action`, decided on `records`. False when the store moved meanwhile. */
  apply(records: readonly SigningKeyRecord[], action: LifecycleAction): Promise<boolean>;
  /** Removes one key from the store (and so from JWKS) now: the emergency retire. */
  remove(records: readonly SigningKeyRecord[], kid: string): Promise<void>;
}

/** All key events share one Kafka key, so consumers see key-set changes in order. */
const EVENT_KEY = 'tessera.signing-keys';

export function createKeyLifecycleWriter(deps: KeyLifecycleWriterDeps): KeyLifecycleWriter {
  const { keys, encrypter, clock } = deps;

  /**
   * `tessera.keys.rotated`: the published key set changed in a way resource servers should act
   * on (refetch the JWKS now rather than when their cache expires). `data` lists the signing
   * (`current`) and `retired` kids after the change and the kids `removed` from JWKS. A new
   * `next` generation is created right after a rotation, in its own write, so it is not listed.
   */
  const rotatedEvent = (
    after: readonly SigningKeyRecord[],
    change: KeySetChange,
    subject: string,
    removed: readonly string[],
  ): OutboxEvent => {
    const kidsIn = (state: SigningKeyRecord['state']) =>
      after.filter((key) => key.state === state).map((key) => key.kid);
    return deps.newEvent({
      type: 'tessera.keys.rotated',
      subject,
      key: EVENT_KEY,
      data: {
        reason: change,
        current: kidsIn('current'),
        retired: kidsIn('retired'),
        removed: [...removed],
      },
    });
  };

  const transition = async (
    records: readonly SigningKeyRecord[],
    changes: Map<string, SigningKeyRecord>,
    event: OutboxEvent | undefined,
  ) =>
    keys.transition(
      records
        .filter((record) => changes.has(record.kid))
        .map((record) => ({
          record: changes.get(record.kid) as SigningKeyRecord,
          expectedState: record.state,
        })),
      event ? { events: [event] } : undefined,
    );

  return {
    async apply(records, action) {
      const now = clock();
      switch (action.kind) {
        case 'bootstrap': {
          const [current, next] = await Promise.all([
            generateKeyGeneration(encrypter, 'current', now),
            generateKeyGeneration(encrypter, 'next', now),
          ]);
          return keys.insert([...current, ...next]);
        }
        case 'create-next':
          return keys.insert(await generateKeyGeneration(encrypter, 'next', now));
        case 'promote': {
          const retiring = new Set(action.retire);
          const changes = new Map<string, SigningKeyRecord>();
          for (const record of records) {
            if (record.generation === action.generation && record.state === 'next') {
              changes.set(record.kid, { ...record, state: 'current', activatedAt: now });
            } else if (retiring.has(record.generation) && record.state === 'current') {
              changes.set(record.kid, { ...record, state: 'retired', retiredAt: now });
            }
          }
          const after = records.map((record) => changes.get(record.kid) ?? record);
          return transition(
            records,
            changes,
            rotatedEvent(after, action.reason, action.generation, []),
          );
        }
        case 'retire': {
          const retiring = new Set(action.generations);
          const changes = new Map<string, SigningKeyRecord>();
          for (const record of records) {
            if (retiring.has(record.generation) && record.state === 'current') {
              changes.set(record.kid, { ...record, state: 'retired', retiredAt: now });
            }
          }
          return transition(records, changes, undefined);
        }
        case 'delete':
          await keys.delete(action.kids);
          return true;
        case 'wait':
          return false;
      }
    },

    async remove(records, kid) {
      const after = records.filter((record) => record.kid !== kid);
      await keys.delete([kid], { events: [rotatedEvent(after, 'emergency_retire', kid, [kid])] });
    },
  };
}
