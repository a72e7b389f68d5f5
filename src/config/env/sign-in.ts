import { defineGroup, integer, oneOf } from '../env-variable.ts';

export const signInVariables = defineGroup({
  title: 'Sign-in',
  about:
    "Password hashing (argon2id, RFC 9106; the defaults are OWASP's minimum, m = 19 MiB, t = 2, p = 1; older hashes are rehashed at the next sign-in) and the throttling of failed sign-ins, per account and per client IP.",
  variables: {
    TESSERA_ARGON2_MEMORY_KIB: {
      ...integer({ min: 7168, max: 4_194_304, default: 19_456, unit: 'KiB' }),
      description: 'argon2id memory cost of new password hashes, KiB',
    },
    TESSERA_ARGON2_ITERATIONS: {
      ...integer({ min: 1, max: 100, default: 2 }),
      description: 'argon2id time cost (passes)',
    },
    TESSERA_ARGON2_PARALLELISM: {
      ...integer({ min: 1, max: 16, default: 1 }),
      description: 'argon2id lanes',
    },
    TESSERA_ARGON2_WORKERS: {
      ...integer({ min: 1, max: 64 }),
      description:
        'worker threads that hash passwords, off libuv’s thread pool (each holds one memory block while hashing)',
      default: 'half the CPUs, shared among `TESSERA_WORKERS`, ≥ 1 each',
    },
    TESSERA_ARGON2_NICE: {
      ...integer({ min: 0, max: 19, default: 10 }),
      description:
        'nice value of the argon2 worker threads on Linux (a per-thread setting there; the event loop stays at 0), so token requests get the CPU before password hashes; 0 = same priority',
    },
    TESSERA_LOGIN_THROTTLE_AFTER: {
      ...integer({ min: 1, max: 1000, default: 5 }),
      description:
        'failed sign-ins within the window after which each further attempt must wait (1 s, doubling)',
    },
    TESSERA_LOGIN_LOCKOUT_AFTER: {
      ...integer({ min: 1, max: 1000, default: 10 }),
      description: 'failed sign-ins within the window that lock the account',
    },
    TESSERA_LOGIN_FAILURE_WINDOW: {
      ...integer({ min: 1, max: 86_400, default: 900, unit: 'seconds' }),
      description: 'seconds over which failed sign-ins are counted',
    },
    TESSERA_LOGIN_LOCKOUT_DURATION: {
      ...integer({ min: 1, max: 86_400, default: 900, unit: 'seconds' }),
      description: 'seconds an account stays locked (`tessera users unlock` lifts it earlier)',
    },
    TESSERA_LOGIN_IP_MAX_FAILURES: {
      ...integer({ min: 1, max: 1_000_000, default: 100 }),
      description: 'failed sign-ins from one client IP within the window before that IP is refused',
    },
    TESSERA_MFA: {
      ...oneOf(['optional', 'required'], 'optional'),
      description:
        'second factor: `optional` asks for it when the account has one; `required` also makes an account without one set up an authenticator app at its next sign-in',
    },
  },
  rules: [
    {
      variable: 'TESSERA_LOGIN_THROTTLE_AFTER',
      rule: 'at most `TESSERA_LOGIN_LOCKOUT_AFTER`',
      check: (env) =>
        env.TESSERA_LOGIN_THROTTLE_AFTER > env.TESSERA_LOGIN_LOCKOUT_AFTER
          ? `must not exceed TESSERA_LOGIN_LOCKOUT_AFTER (${env.TESSERA_LOGIN_LOCKOUT_AFTER})`
          : undefined,
    },
  ],
});
