import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SigningKeyView } from '../../src/services/signing-key-admin.ts';
import { AppError } from '../../src/services/app-error.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';
import { startTestTessera, type TestTessera } from '../helpers/test-tessera.ts';

describe('the signing-key admin', () => {
  let t: TestTessera;
  let clock: TestClock;
  const admin = () => t.tessera.signingKeyAdmin;
  const servedKids = async () =>
    ((await (await fetch(`${t.issuer}/jwks`)).json()) as { keys: { kid: string }[] }).keys
      .map((key) => key.kid)
      .sort();
  const kids = (views: readonly SigningKeyView[], state?: SigningKeyView['state']) =>
    views
      .filter((key) => state === undefined || key.state === state)
      .map((key) => key.kid)
      .sort();
  const rotatedEvents = async () =>
    t.tessera.storage.outbox.listRecent({ type: 'tessera.keys.rotated', limit: 10 });
  const refusalOf = async (promise: Promise<unknown>): Promise<AppError> => {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AppError) return error;
      throw error;
    }
    throw new Error('expected an AppError');
  };

  beforeEach(async () => {
    clock = createTestClock(Date.now());
    // Defaults: 10 min max-age, so the lead is 20 min, plus a 15 s poll.
    t = await startTestTessera({}, { clock });
  });
  afterEach(() => t.stop());

  it('lists every key with its algorithm, state and times, current first', async () => {
    const listed = await admin().list();
    expect(listed.map((key) => `${key.state}:${key.alg}`)).toEqual([
      'current:ES256',
      'current:RS256',
      'next:ES256',
      'next:RS256',
    ]);
    expect(listed[0]).toEqual({
      kid: expect.any(String),
      alg: 'ES256',
      state: 'current',
      generation: expect.any(String),
      createdAt: clock(),
      activatedAt: clock(),
      retiredAt: undefined,
    });
    expect(listed[2]?.activatedAt).toBeUndefined();
  });

  it('refuses to rotate onto next keys published for less than the lead time, naming the wait', async () => {
    const before = await admin().list();
    clock.advance(600_000);
    const error = await refusalOf(admin().rotate({ force: false }));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('published 600 s ago');
    expect(error.message).toContain('possible in 615 s');
    expect(await admin().list()).toEqual(before);
    expect(await rotatedEvents()).toEqual([]);
  });

  it('rotates once the lead time has passed: next signs, current retires, a new next appears', async () => {
    const before = await admin().list();
    clock.advance(1215_000);
    const after = await admin().rotate({ force: false });
    expect(kids(after, 'current')).toEqual(kids(before, 'next'));
    expect(kids(after, 'retired')).toEqual(kids(before, 'current'));
    expect(kids(after, 'next')).toHaveLength(2);
    expect(await servedKids()).toEqual(kids(after));
    const [event] = await rotatedEvents();
    expect(event?.data).toEqual({
      reason: 'manual',
      current: expect.arrayContaining(kids(before, 'next')),
      retired: expect.arrayContaining(kids(before, 'current')),
      removed: [],
    });
  });

  it('rotates at once when forced, and says so in the event', async () => {
    const before = await admin().list();
    const after = await admin().rotate({ force: true });
    expect(kids(after, 'current')).toEqual(kids(before, 'next'));
    expect((await rotatedEvents())[0]?.data.reason).toBe('forced');
  });

  it('removes an emergency-retired key from the store and from JWKS at once', async () => {
    const [retiring] = (await admin().rotate({ force: true })).filter(
      (key) => key.state === 'retired',
    );
    const kid = retiring?.kid as string;
    const removed = await admin().retire(kid);
    expect(removed).toMatchObject({ kid, state: 'retired', retiredAt: retiring?.retiredAt });
    expect(await servedKids()).not.toContain(kid);
    expect(kids(await admin().list())).not.toContain(kid);
    const [event] = await rotatedEvents();
    expect(event).toMatchObject({
      subject: kid,
      data: { reason: 'emergency_retire', removed: [kid] },
    });
  });

  it('replaces a next generation whose key was emergency-retired with a complete one', async () => {
    const [nextKey] = (await admin().list()).filter((key) => key.state === 'next');
    await admin().retire(nextKey?.kid as string);
    const listed = await admin().list();
    const next = listed.filter((key) => key.state === 'next');
    expect(next.map((key) => key.alg).sort()).toEqual(['ES256', 'RS256']);
    expect(next.map((key) => key.generation)).not.toContain(nextKey?.generation);
    expect(await servedKids()).toEqual(kids(listed));
  });

  it('refuses to retire the only current key of its algorithm and keeps it', async () => {
    const [current] = await admin().list();
    const error = await refusalOf(admin().retire(current?.kid as string));
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('rotate first');
    expect(await servedKids()).toContain(current?.kid);
  });

  it('answers not_found for an unknown kid', async () => {
    expect((await refusalOf(admin().retire('no-such-kid'))).code).toBe('not_found');
  });
});
