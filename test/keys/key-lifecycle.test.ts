import { describe, expect, it } from 'vitest';

import { decideLifecycleAction } from '../../keys/key-lifecycle.ts';
import {
  createKeySchedule,
  maxTokenLifetimeSeconds,
  type KeySchedule,
} from '../../keys/key-schedule.ts';
import type { SigningKeyRecord, SigningKeyState } from '../../src/ports/signing-keys.ts';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const T0 = Date.UTC(2026, 0, 1);

// The defaults: 30-day rotation, 20 min lead (2 × 10 min max-age), 15 s poll, 1 day tokens, 10 min grace.
const schedule: KeySchedule = {
  rotationIntervalMs: 30 * DAY,
  publicationLeadMs: 1200 * SECOND,
  propagationMs: 15 * SECOND,
  maxTokenLifetimeMs: DAY,
  retirementGraceMs: 600 * SECOND,
};
const retention = schedule.propagationMs + schedule.maxTokenLifetimeMs + schedule.retirementGraceMs;
const lead = schedule.propagationMs + schedule.publicationLeadMs;

function generation(
  id: string,
  state: SigningKeyState,
  times: { createdAt: number; activatedAt?: number; retiredAt?: number },
  algs: readonly ('RS256' | 'ES256')[] = ['RS256', 'ES256'],
): SigningKeyRecord[] {
  return algs.map((alg) => ({
    kid: `${id}-${alg}`,
    alg,
    state,
    generation: id,
    publicJwk: {},
    privateKey: { kekId: 'kek', iv: '', ciphertext: '', tag: '' },
    createdAt: times.createdAt,
    activatedAt: times.activatedAt,
    retiredAt: times.retiredAt,
  }));
}

/** The store right after first start: both generations created at T0. */
const firstStart = () => [
  ...generation('g1', 'current', { createdAt: T0, activatedAt: T0 }),
  ...generation('g2', 'next', { createdAt: T0 }),
];

describe('the signing-key lifecycle', () => {
  it('creates a current and a next generation on an empty store', () => {
    expect(decideLifecycleAction([], schedule, T0)).toEqual({ kind: 'bootstrap' });
  });

  it('waits after first start until the rotation interval has passed', () => {
    expect(decideLifecycleAction(firstStart(), schedule, T0 + 1)).toEqual({
      kind: 'wait',
      until: T0 + 30 * DAY,
    });
  });

  it('promotes next to current and retires the old current once the interval has passed', () => {
    expect(decideLifecycleAction(firstStart(), schedule, T0 + 30 * DAY)).toEqual({
      kind: 'promote',
      generation: 'g2',
      retire: ['g1'],
      reason: 'scheduled',
    });
  });

  it('does not let a next key sign before it was published for the lead time plus one poll', () => {
    const created = T0 + 30 * DAY - 60 * SECOND;
    const records = [
      ...generation('g1', 'current', { createdAt: T0, activatedAt: T0 }),
      ...generation('g2', 'next', { createdAt: created }),
    ];
    expect(decideLifecycleAction(records, schedule, T0 + 30 * DAY)).toEqual({
      kind: 'wait',
      until: created + lead,
    });
    expect(decideLifecycleAction(records, schedule, created + lead - 1).kind).toBe('wait');
    expect(decideLifecycleAction(records, schedule, created + lead).kind).toBe('promote');
  });

  it('creates a new next generation once the previous one became current', () => {
    const records = [
      ...generation('g1', 'retired', { createdAt: T0, activatedAt: T0, retiredAt: T0 + 30 * DAY }),
      ...generation('g2', 'current', { createdAt: T0, activatedAt: T0 + 30 * DAY }),
    ];
    expect(decideLifecycleAction(records, schedule, T0 + 30 * DAY)).toEqual({
      kind: 'create-next',
    });
  });

  it('keeps a retired key published until every token it signed has expired, then deletes it', () => {
    const retiredAt = T0 + 30 * DAY;
    const records = [
      ...generation('g1', 'retired', { createdAt: T0, activatedAt: T0, retiredAt }),
      ...generation('g2', 'current', { createdAt: T0, activatedAt: retiredAt }),
      ...generation('g3', 'next', { createdAt: retiredAt }),
    ];
    expect(decideLifecycleAction(records, schedule, retiredAt + retention - 1)).toEqual({
      kind: 'wait',
      until: retiredAt + retention,
    });
    expect(decideLifecycleAction(records, schedule, retiredAt + retention)).toEqual({
      kind: 'delete',
      kids: ['g1-RS256', 'g1-ES256'],
      reason: 'expired',
    });
  });

  it('promotes the oldest of several next generations', () => {
    const records = [
      ...generation('g1', 'current', { createdAt: T0, activatedAt: T0 }),
      ...generation('newer', 'next', { createdAt: T0 + DAY }),
      ...generation('older', 'next', { createdAt: T0 }),
    ];
    expect(decideLifecycleAction(records, schedule, T0 + 30 * DAY)).toMatchObject({
      kind: 'promote',
      generation: 'older',
    });
  });

  it('drops a next generation that lost a key to an emergency retire', () => {
    const records = [
      ...generation('g1', 'current', { createdAt: T0, activatedAt: T0 }),
      ...generation('g2', 'next', { createdAt: T0 }, ['RS256']),
    ];
    expect(decideLifecycleAction(records, schedule, T0 + 1)).toEqual({
      kind: 'delete',
      kids: ['g2-RS256'],
      reason: 'incomplete',
    });
  });

  it('retires all but the newest current generation when several are current', () => {
    const records = [
      ...generation('old', 'current', { createdAt: T0, activatedAt: T0 }),
      ...generation('new', 'current', { createdAt: T0, activatedAt: T0 + 5 }),
      ...generation('g3', 'next', { createdAt: T0 }),
    ];
    expect(decideLifecycleAction(records, schedule, T0 + 10)).toEqual({
      kind: 'retire',
      generations: ['old'],
    });
  });

  it('promotes a young next generation at once when nothing can sign, rather than stop issuing', () => {
    const records = generation('g2', 'next', { createdAt: T0 });
    expect(decideLifecycleAction(records, schedule, T0 + 1)).toEqual({
      kind: 'promote',
      generation: 'g2',
      retire: [],
      reason: 'repair',
    });
  });

  it('starts over when no algorithm-complete current or next generation exists', () => {
    const records = generation('g1', 'current', { createdAt: T0, activatedAt: T0 }, ['RS256']);
    expect(decideLifecycleAction(records, schedule, T0 + 1)).toEqual({ kind: 'bootstrap' });
  });
});

describe('the key schedule', () => {
  it('bounds token lifetime by the longest signed-token TTL, resource-server cap included', () => {
    const ttls = {
      accessTokenTtl: 3600,
      clientCredentialsTtl: 600,
      idTokenTtl: 7200,
      resourceServerMaxTtl: 86_400,
    };
    expect(maxTokenLifetimeSeconds(ttls)).toBe(86_400);
    expect(maxTokenLifetimeSeconds({ ...ttls, resourceServerMaxTtl: 60 })).toBe(7200);
  });

  it('turns the configured seconds into milliseconds, with one poll as the propagation bound', () => {
    expect(
      createKeySchedule(
        {
          rotationInterval: 2_592_000,
          publicationLead: 1200,
          retirementGrace: 600,
          pollInterval: 15,
        },
        {
          accessTokenTtl: 3600,
          clientCredentialsTtl: 3600,
          idTokenTtl: 3600,
          resourceServerMaxTtl: 86_400,
        },
      ),
    ).toEqual(schedule);
  });
});
