import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { SigningKeyRecord } from '../../src/ports/signing-keys.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createTestClock, type OpenTestStorage } from './storage-fixture.ts';

function key(
  kid: string,
  state: SigningKeyRecord['state'],
  generation = 'gen-1',
): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    state,
    generation,
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid },
    privateKey: { kekId: 'kek', iv: 'iv', ciphertext: 'ct', tag: 'tag' },
    createdAt: 1,
    activatedAt: state === 'current' ? 1 : undefined,
    retiredAt: undefined,
  };
}

export function describeSigningKeyStoreContract(adapter: string, open: OpenTestStorage): void {
  describe(`SigningKeyStore contract (${adapter})`, () => {
    let storage: Storage;
    beforeEach(async () => {
      storage = await open(createTestClock());
    });
    afterEach(async () => {
      await storage.close();
    });

    it('stores a generation and lists it back', async () => {
      const records = [key('k1', 'current'), key('k2', 'current')];
      expect(await storage.signingKeys.insert(records)).toBe(true);
      const listed = await storage.signingKeys.list();
      expect(listed.sort((a, b) => a.kid.localeCompare(b.kid))).toEqual(records);
    });

    it('inserts all keys or none', async () => {
      await storage.signingKeys.insert([key('k1', 'current')]);
      expect(await storage.signingKeys.insert([key('k2', 'next'), key('k1', 'next')])).toBe(false);
      expect((await storage.signingKeys.list()).map((k) => k.kid)).toEqual(['k1']);
    });

    it('transitions states only from the expected state, all or none', async () => {
      await storage.signingKeys.insert([key('k1', 'current'), key('k2', 'next', 'gen-2')]);
      const promoted = { ...key('k2', 'current', 'gen-2'), activatedAt: 5 };
      const retired = { ...key('k1', 'retired'), retiredAt: 5 };
      expect(
        await storage.signingKeys.transition([
          { record: promoted, expectedState: 'next' },
          { record: retired, expectedState: 'current' },
        ]),
      ).toBe(true);
      // A second, stale attempt changes nothing, not even its first item.
      expect(
        await storage.signingKeys.transition([
          { record: { ...retired, state: 'current' }, expectedState: 'retired' },
          { record: { ...promoted, state: 'retired' }, expectedState: 'next' },
        ]),
      ).toBe(false);
      const byKid = Object.fromEntries((await storage.signingKeys.list()).map((k) => [k.kid, k]));
      expect(byKid.k1).toEqual(retired);
      expect(byKid.k2).toEqual(promoted);
    });

    it('puts back the keys it already moved when a later change of the same request is refused', async () => {
      await storage.signingKeys.insert([key('k1', 'current'), key('k2', 'next', 'gen-2')]);
      const before = await storage.signingKeys.list();
      // The third change expects k2 still `next`, which the first change has just moved.
      expect(
        await storage.signingKeys.transition([
          { record: { ...key('k2', 'current', 'gen-2'), activatedAt: 5 }, expectedState: 'next' },
          { record: { ...key('k1', 'retired'), retiredAt: 5 }, expectedState: 'current' },
          { record: { ...key('k2', 'retired', 'gen-2'), retiredAt: 5 }, expectedState: 'next' },
        ]),
      ).toBe(false);
      expect(await storage.signingKeys.list()).toEqual(before);
    });

    it('lets exactly one of many concurrent transitions from the same states win, all of it', async () => {
      await storage.signingKeys.insert([key('k1', 'current'), key('k2', 'next', 'gen-2')]);
      const attempts = Array.from(
        { length: 8 },
        (_, i) =>
          [
            { record: { ...key('k2', 'current', 'gen-2'), activatedAt: i }, expectedState: 'next' },
            { record: { ...key('k1', 'retired'), retiredAt: i }, expectedState: 'current' },
          ] as const,
      );
      const results = await Promise.all(
        attempts.map((changes) => storage.signingKeys.transition(changes)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      const byKid = Object.fromEntries((await storage.signingKeys.list()).map((k) => [k.kid, k]));
      expect(byKid.k2).toMatchObject({ state: 'current', activatedAt: winner });
      expect(byKid.k1).toMatchObject({ state: 'retired', retiredAt: winner });
    });

    it('deletes keys', async () => {
      await storage.signingKeys.insert([key('k1', 'retired'), key('k2', 'current')]);
      await storage.signingKeys.delete(['k1']);
      expect((await storage.signingKeys.list()).map((k) => k.kid)).toEqual(['k2']);
    });
  });
}
