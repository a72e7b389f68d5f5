import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generate } from 'otplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import { createKeyEncrypter } from '../../keys/key-encryption.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import type { Storage } from '../../src/ports/storage.ts';
import {
  createFactorService,
  totpIdOf,
  type FactorService,
} from '../../src/services/factors/factor-service.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';

describe('second factors (authenticator app and recovery codes)', () => {
  let dir: string;
  let storage: Storage;
  let clock: TestClock;
  let factors: FactorService;
  let sealer: ReturnType<typeof createKeyEncrypter>;
  let pepper: Buffer;
  const serviceDeps = () => ({
    factors: storage.accountFactors,
    sealer,
    pepper,
    newEvent: createEventFactory({
      source: 'http://localhost',
      clock,
      onInvalid: throwInvalidEvent,
    }),
    clock,
    issuerName: 'localhost',
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-factors-'));
    // On a step boundary, so that "one step later" is exactly 30 s away.
    clock = createTestClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    storage = openSqliteStorage({ path: join(dir, 'store.sqlite'), clock });
    sealer = createKeyEncrypter(randomBytes(32));
    pepper = randomBytes(32);
    factors = createFactorService(serviceDeps());
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const codeAt = (secret: string, offsetSteps: number) =>
    generate({ secret, epoch: Math.floor(clock() / 1000) + offsetSteps * 30 });

  async function enrol(accountId = 'acc_1') {
    const enrolment = await factors.startTotp(accountId, 'alice');
    expect(enrolment).toBeDefined();
    expect(await factors.confirmTotp(accountId, await codeAt(enrolment!.secret, 0))).toBe(true);
    return enrolment!.secret;
  }

  it('keeps the app secret only sealed in the store', async () => {
    const secret = await enrol();
    const stored = await storage.accountFactors.get(totpIdOf('acc_1'));
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(stored?.data).toMatchObject({
      confirmed: true,
      secret: { ciphertext: expect.any(String) },
    });
  });

  it('offers an app secret as a second factor only once a first code confirmed it', async () => {
    const enrolment = await factors.startTotp('acc_1', 'alice');
    expect(await factors.secondFactorsOf('acc_1')).toEqual(new Set());
    expect(await factors.confirmTotp('acc_1', '123456x')).toBe(false);
    expect(await factors.confirmTotp('acc_1', await codeAt(enrolment!.secret, 0))).toBe(true);
    expect(await factors.secondFactorsOf('acc_1')).toEqual(new Set(['totp']));
    expect(await factors.startTotp('acc_1', 'alice')).toBeUndefined();
  });

  it('never confirms a replaced secret: the one set up last is the one pending', async () => {
    const first = await factors.startTotp('acc_1', 'alice');
    const code = await codeAt(first!.secret, 0);
    // A confirmation that read the first secret races a new start, which replaces it.
    const [, second] = await Promise.all([
      factors.confirmTotp('acc_1', code),
      factors.startTotp('acc_1', 'alice'),
    ]);
    expect(second?.secret).not.toBe(first!.secret);
    expect((await factors.pendingTotp('acc_1', 'alice'))?.secret).toBe(second!.secret);
  });

  it('accepts a code one step either side of now, not two', async () => {
    const secret = await enrol();
    clock.advance(10 * 30_000);
    expect(await factors.verifyTotp('acc_1', await codeAt(secret, -2))).toBe(false);
    expect(await factors.verifyTotp('acc_1', await codeAt(secret, 2))).toBe(false);
    expect(await factors.verifyTotp('acc_1', await codeAt(secret, -1))).toBe(true);
    expect(await factors.verifyTotp('acc_1', await codeAt(secret, 1))).toBe(true);
  });

  it('accepts a code once, and no earlier one after it', async () => {
    const secret = await enrol();
    clock.advance(5 * 30_000);
    const code = await codeAt(secret, 0);
    expect(await factors.verifyTotp('acc_1', code)).toBe(true);
    expect(await factors.verifyTotp('acc_1', code)).toBe(false);
    expect(await factors.verifyTotp('acc_1', await codeAt(secret, -1))).toBe(false);
  });

  it('accepts one of many concurrent presentations of the same code', async () => {
    const secret = await enrol();
    clock.advance(5 * 30_000);
    const code = await codeAt(secret, 0);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => factors.verifyTotp('acc_1', code)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('spends a recovery code once however many requests present it, and keeps the rest', async () => {
    const codes = await factors.generateRecoveryCodes('acc_1');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => factors.useRecoveryCode('acc_1', codes[3]!)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await factors.useRecoveryCode('acc_1', codes[4]!.replace('-', ' '))).toBe(true);
    expect(await factors.useRecoveryCode('acc_2', codes[5]!)).toBe(false);
    expect((await factors.list('acc_1'))[0]).toMatchObject({
      kind: 'recovery_codes',
      remaining: 8,
    });
  });

  it('voids the previous recovery codes when new ones are made', async () => {
    const first = await factors.generateRecoveryCodes('acc_1');
    await factors.generateRecoveryCodes('acc_1');
    expect(await factors.useRecoveryCode('acc_1', first[0]!)).toBe(false);
  });

  it('keeps the previous recovery codes working when the new set cannot be stored', async () => {
    const first = await factors.generateRecoveryCodes('acc_1');
    const failing = createFactorService({
      ...serviceDeps(),
      factors: {
        ...storage.accountFactors,
        recordUse: () => Promise.reject(new Error('store unavailable')),
        insert: () => Promise.reject(new Error('store unavailable')),
      },
    });
    await expect(failing.generateRecoveryCodes('acc_1')).rejects.toThrow('store unavailable');
    expect(await factors.useRecoveryCode('acc_1', first[0]!)).toBe(true);
  });

  it('answers concurrent regenerations with one stored set and conflicts, never a lost set', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => factors.generateRecoveryCodes('acc_1')),
    );
    const made = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const refused = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    expect(made.length).toBeGreaterThan(0);
    for (const reason of refused)
      expect(reason).toMatchObject({ name: 'AppError', code: 'conflict' });
    // The set the store kept is the last one handed out.
    expect(await factors.useRecoveryCode('acc_1', made.at(-1)![0]!)).toBe(true);
  });

  it('announces what is added, removed and reset', async () => {
    await enrol();
    await factors.generateRecoveryCodes('acc_1');
    expect(await factors.remove('acc_1', totpIdOf('acc_1'), 'user')).toBe(true);
    expect(await factors.reset('acc_1')).toBe(1);
    const events = (await storage.outbox.listRecent({ limit: 10 }))
      .map((event) => `${event.type} ${JSON.stringify(event.data)}`)
      .sort();
    expect(events).toEqual([
      'tessera.account.factor_added {"account_id":"acc_1","kind":"recovery_codes"}',
      'tessera.account.factor_added {"account_id":"acc_1","kind":"totp"}',
      'tessera.account.factor_removed {"account_id":"acc_1","kind":"totp","by":"user"}',
      'tessera.account.factors_reset {"account_id":"acc_1","removed":1}',
    ]);
  });
});
