import { createSecretKey, randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  CHALLENGE_TTL_MS,
  createWebAuthnChallenges,
} from '../../src/services/factors/webauthn-challenges.ts';
import { createTestClock } from '../contracts/storage-fixture.ts';

describe('WebAuthn challenges', () => {
  const setUp = () => {
    const clock = createTestClock();
    const used = new Set<string>();
    const challenges = createWebAuthnChallenges({
      key: createSecretKey(randomBytes(32)),
      clock,
      used: {
        insertIfAbsent: async (_model, id) => {
          if (used.has(id)) return false;
          used.add(id);
          return true;
        },
      },
    });
    return { clock, challenges };
  };

  it('accepts a challenge only for the interaction or session it was issued for', () => {
    const { challenges } = setUp();
    const challenge = challenges.issue('interaction:a');
    expect(Buffer.from(challenge, 'base64url').length).toBeGreaterThanOrEqual(16);
    expect(challenges.isValid(challenge, 'interaction:a')).toBe(true);
    expect(challenges.isValid(challenge, 'interaction:b')).toBe(false);
    expect(challenges.isValid(`${challenge.slice(0, -2)}AA`, 'interaction:a')).toBe(false);
  });

  it('refuses a challenge once it expired', () => {
    const { clock, challenges } = setUp();
    const challenge = challenges.issue('interaction:a');
    clock.advance(CHALLENGE_TTL_MS);
    expect(challenges.isValid(challenge, 'interaction:a')).toBe(false);
  });

  it('lets a challenge be used once', async () => {
    const { challenges } = setUp();
    const challenge = challenges.issue('account:s');
    expect(await challenges.use(challenge, 'account:s')).toBe(true);
    expect(await challenges.use(challenge, 'account:s')).toBe(false);
    expect(await challenges.use(challenges.issue('account:s'), 'account:t')).toBe(false);
  });
});
