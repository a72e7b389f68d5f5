import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { openSqliteStorage } from '../../adapters/sqlite/open-sqlite-storage.ts';
import type { LoginThrottleConfig } from '../../src/config/config.ts';
import { createEventFactory, throwInvalidEvent } from '../../src/events/event-factory.ts';
import type { StoredOutboxEvent } from '../../src/ports/outbox.ts';
import { createAccountAccessRevoker } from '../../src/provider/account-access-revocation.ts';
import { createRemovalEvents } from '../../src/provider/removal-events.ts';
import type { Storage } from '../../src/ports/storage.ts';
import { createAccountService, type AccountService } from '../../src/services/account-service.ts';
import {
  createArgon2Pool,
  type Argon2Params,
  type Argon2Pool,
} from '../../src/services/passwords/argon2-pool.ts';
import { createPasswordHasher } from '../../src/services/passwords/password-hasher.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';

/** Cheap argon2 for tests that hash a lot; the cost itself is tested on its own. */
export const FAST_ARGON2: Argon2Params = { memoryKib: 7168, iterations: 1, parallelism: 1 };

export const DEFAULT_POLICY: LoginThrottleConfig = {
  throttleAfter: 5,
  lockoutAfter: 10,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  ipMaxFailures: 100,
};

export interface AccountHarness {
  readonly storage: Storage;
  readonly clock: TestClock;
  readonly accounts: AccountService;
  /** Another AccountService over the same store, e.g. with a different argon2 cost. */
  rebuild(options: {
    argon2?: Argon2Params;
    policy?: Partial<LoginThrottleConfig>;
  }): AccountService;
  events(type: string): Promise<StoredOutboxEvent[]>;
  /** argon2 derivations run so far by `accounts` (hashes, verifications, dummy verifications). */
  derivations(): number;
  /** What the sign-in metrics hooks were told, in order (`succeeded`, `failed:<reason>`, `lockedOut`). */
  readonly metricCalls: string[];
  stop(): Promise<void>;
}

/** An AccountService over a real SQLite file and a real argon2 worker pool, on a test clock. */
export function startAccountHarness(
  options: { argon2?: Argon2Params; policy?: Partial<LoginThrottleConfig> } = {},
): AccountHarness {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-accounts-'));
  const storage = openSqliteStorage({ path: join(dir, 'store.sqlite') });
  const clock = createTestClock(Date.UTC(2026, 0, 1));
  const pepper = randomBytes(32);
  const pools: Argon2Pool[] = [];
  let derivations = 0;
  const metricCalls: string[] = [];
  const metrics = {
    succeeded: () => void metricCalls.push('succeeded'),
    failed: (reason: string) => void metricCalls.push(`failed:${reason}`),
    lockedOut: () => void metricCalls.push('lockedOut'),
  };
  const build = (argon2: Argon2Params, policy: Partial<LoginThrottleConfig>) => {
    const pool = createArgon2Pool({ workers: 1, maxQueued: 64 });
    pools.push(pool);
    const counting: Argon2Pool = {
      derive: (input) => {
        derivations += 1;
        return pool.derive(input);
      },
      get pending() {
        return pool.pending;
      },
      get threads() {
        return pool.threads;
      },
      close: () => pool.close(),
    };
    const newEvent = createEventFactory({
      source: 'http://localhost',
      clock,
      onInvalid: throwInvalidEvent,
    });
    return createAccountService({
      accounts: storage.accounts,
      throttle: storage.loginThrottle,
      outbox: storage.outbox,
      hasher: createPasswordHasher({ pool: counting, params: argon2 }),
      policy: { ...DEFAULT_POLICY, ...policy },
      pepper,
      newEvent,
      accessRevoker: createAccountAccessRevoker({
        models: storage.oidcModels,
        removalEvents: createRemovalEvents(newEvent),
      }),
      clock,
      metrics,
    });
  };
  return {
    storage,
    clock,
    accounts: build(options.argon2 ?? FAST_ARGON2, options.policy ?? {}),
    rebuild: (next) => build(next.argon2 ?? FAST_ARGON2, next.policy ?? options.policy ?? {}),
    events: (type) => storage.outbox.listRecent({ type, limit: 100 }),
    derivations: () => derivations,
    metricCalls,
    async stop() {
      await Promise.all(pools.map((pool) => pool.close()));
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
