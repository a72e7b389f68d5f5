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
  type Argon2Task,
} from '../../src/services/passwords/argon2-pool.ts';
import { createPasswordHasher } from '../../src/services/passwords/password-hasher.ts';
import { createTestClock, type TestClock } from '../contracts/storage-fixture.ts';
import { openTestMongoStorage } from './mongodb-storage.ts';
import type { StorageBackend } from './storage-backends.ts';

/** Cheap argon2 for tests that hash a lot; the cost itself is tested on its own. */
export const FAST_ARGON2: Argon2Params = { memoryKib: 7168, iterations: 1, parallelism: 1 };

export const DEFAULT_POLICY: LoginThrottleConfig = {
  throttleAfter: 5,
  lockoutAfter: 10,
  failureWindowMs: 15 * 60_000,
  lockoutMs: 15 * 60_000,
  ipMaxFailures: 100,
};

export type DerivationIntercept = (run: () => Promise<Uint8Array>) => Promise<Uint8Array>;

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
  /** What each of those derivations was asked to compute, in order: cost, salt, tag length. */
  derivationTasks(): readonly Argon2Task[];
  /**
   * Puts `intercept` in front of every argon2 derivation (a derivation it lets through calls
   * `run`, and counts); undefined goes back to plain derivations.
   */
  interceptDerivations(intercept: DerivationIntercept | undefined): void;
  /** What the sign-in metrics hooks were told, in order (`succeeded`, `failed:<reason>`, `lockedOut`). */
  readonly metricCalls: string[];
  stop(): Promise<void>;
}

export interface AccountHarnessOptions {
  readonly argon2?: Argon2Params;
  readonly policy?: Partial<LoginThrottleConfig>;
  /** NODE_ENV=production rules (https profile pictures); default false. */
  readonly production?: boolean;
}

/** An AccountService over a real SQLite file and a real argon2 worker pool, on a test clock. */
export function startAccountHarness(options: AccountHarnessOptions = {}): AccountHarness {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-accounts-'));
  const clock = createTestClock(Date.UTC(2026, 0, 1));
  const storage = openSqliteStorage({ path: join(dir, 'store.sqlite'), clock });
  return harnessOver(storage, clock, options, () => rmSync(dir, { recursive: true, force: true }));
}

/** startAccountHarness on either store (on MongoDB a fresh database, dropped at stop). */
export async function startAccountHarnessOn(
  backend: StorageBackend,
  options: AccountHarnessOptions = {},
): Promise<AccountHarness> {
  if (backend === 'sqlite') return startAccountHarness(options);
  const clock = createTestClock(Date.UTC(2026, 0, 1));
  return harnessOver(await openTestMongoStorage({ clock }), clock, options, () => undefined);
}

function harnessOver(
  storage: Storage,
  clock: TestClock,
  options: AccountHarnessOptions,
  removeFiles: () => void,
): AccountHarness {
  const pepper = randomBytes(32);
  const pools: Argon2Pool[] = [];
  const tasks: Argon2Task[] = [];
  let intercept: DerivationIntercept | undefined;
  const metricCalls: string[] = [];
  const metrics = {
    succeeded: () => void metricCalls.push('succeeded'),
    failed: (reason: string) => void metricCalls.push(`failed:${reason}`),
    lockedOut: () => void metricCalls.push('lockedOut'),
  };
  const build = (argon2: Argon2Params, policy: Partial<LoginThrottleConfig>) => {
    const pool = createArgon2Pool({ workers: 1, maxQueued: 64 });
    pools.push(pool);
    const run = (input: Argon2Task) => () => {
      tasks.push(input);
      return pool.derive(input);
    };
    const counting: Argon2Pool = {
      derive: (input) => (intercept ? intercept(run(input)) : run(input)()),
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
      production: options.production ?? false,
    });
  };
  return {
    storage,
    clock,
    accounts: build(options.argon2 ?? FAST_ARGON2, options.policy ?? {}),
    rebuild: (next) => build(next.argon2 ?? FAST_ARGON2, next.policy ?? options.policy ?? {}),
    events: (type) => storage.outbox.listRecent({ type, limit: 100 }),
    derivations: () => tasks.length,
    derivationTasks: () => tasks,
    interceptDerivations: (next) => {
      intercept = next;
    },
    metricCalls,
    async stop() {
      await Promise.all(pools.map((pool) => pool.close()));
      await storage.close();
      removeFiles();
    },
  };
}
