import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const positiveInt = (fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().positive().max(max).default(fallback);

const optionalPositiveInt = (max: number) =>
  optionalString.pipe(z.coerce.number<string>().int().positive().max(max).optional());

const DAY = 86_400;

const urlString = z.string().refine((value) => URL.canParse(value), 'must be an absolute URL');

/**
 * Every environment variable Tessera reads, with its default. The README's configuration table
 * mirrors this schema; keep the two in step.
 */
export const envSchema = z.object({
  NODE_ENV: optionalString,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: optionalString,
  TESSERA_ISSUER: optionalString.pipe(urlString.optional()),
  TESSERA_DATA_DIR: z.string().min(1).default('./data'),
  TESSERA_TRUST_PROXY: z.stringbool().default(false),
  TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS: z.stringbool().default(false),

  MONGODB_URI: optionalString,
  MONGODB_DB: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'a MongoDB database name (no / \\ . space " $ * < > : | ?)')
    .default('tessera'),
  TESSERA_MONGODB_ENSURE_INDEXES: z.stringbool().default(true),
  KAFKA_BROKERS: optionalString,
  KAFKA_TOPIC: z.string().min(1).default('tessera.events'),
  KAFKA_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/, 'letters, digits, . _ - only, at most 255')
    .default('tessera'),
  // TLS and SASL to the brokers (README "Outbox relay"); cross-checked in load-config.ts.
  KAFKA_SSL: z.stringbool().default(false),
  KAFKA_SSL_CA_FILE: optionalString,
  KAFKA_SASL_MECHANISM: optionalString.pipe(
    z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  ),
  KAFKA_SASL_USERNAME: optionalString,
  /** Not trimmed: a password may start or end with a space. */
  KAFKA_SASL_PASSWORD: z
    .string()
    .transform((value) => (value === '' ? undefined : value))
    .optional(),
  // The outbox and its relay (README "Events").
  TESSERA_OUTBOX_RETENTION: positiveInt(7 * DAY, 365 * DAY),
  /** Unset: 0 on SQLite, 1000 on MongoDB. */
  TESSERA_OUTBOX_SETTLE_MS: optionalString.pipe(
    z.coerce.number<string>().int().min(0).max(60_000).optional(),
  ),
  TESSERA_OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Unset: /readyz reports the backlog but never fails on it. */
  TESSERA_OUTBOX_MAX_BACKLOG: optionalPositiveInt(Number.MAX_SAFE_INTEGER),

  TESSERA_KEY_ENCRYPTION_KEY: optionalString,
  TESSERA_COOKIE_KEYS: optionalString,
  TESSERA_SECRET_PEPPER: optionalString,

  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),

  TESSERA_ACCESS_TOKEN_TTL: positiveInt(3600, 86_400),
  TESSERA_CLIENT_CREDENTIALS_TTL: positiveInt(3600, 86_400),
  TESSERA_ID_TOKEN_TTL: positiveInt(3600, 86_400),
  TESSERA_JWKS_MAX_AGE: positiveInt(600, 86_400),
  // Signing-key schedule, in seconds (DESIGN.md section 6, README "Signing keys").
  TESSERA_KEY_ROTATION_INTERVAL: positiveInt(30 * DAY, 365 * DAY),
  /** Unset: 2 × TESSERA_JWKS_MAX_AGE, which is also its floor. */
  TESSERA_KEY_PUBLICATION_LEAD: optionalPositiveInt(30 * DAY),
  TESSERA_KEY_RETIREMENT_GRACE: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * DAY)
    .default(600),
  TESSERA_KEY_POLL_INTERVAL: positiveInt(15, 3600),
  TESSERA_SESSION_TTL: positiveInt(14 * 86_400, 366 * 86_400),
  TESSERA_REFRESH_TOKEN_TTL: positiveInt(14 * 86_400, 366 * 86_400),
  TESSERA_GRANT_TTL: positiveInt(90 * 86_400, 3 * 366 * 86_400),
  TESSERA_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000, 600_000),
  TESSERA_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  TESSERA_METRICS_TOKEN: optionalString,
  TESSERA_CLIENT_SECRET_BYTES: z.coerce.number().int().min(32).max(128).default(32),
  // DPoP (RFC 9449, README "DPoP"): nonces are always offered; this makes every proof need one.
  TESSERA_DPOP_REQUIRE_NONCE: z.stringbool().default(false),

  // Password hashing (argon2id, RFC 9106). Defaults: OWASP's minimum, m = 19 MiB, t = 2, p = 1.
  TESSERA_ARGON2_MEMORY_KIB: z.coerce.number().int().min(7168).max(4_194_304).default(19_456),
  TESSERA_ARGON2_ITERATIONS: z.coerce.number().int().min(1).max(100).default(2),
  TESSERA_ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),
  /** Worker threads hashing passwords; unset = half the CPUs, at least 1. */
  TESSERA_ARGON2_WORKERS: z.coerce.number().int().min(1).max(64).optional(),

  // Sign-in throttling and lockout (per account and per client IP).
  TESSERA_LOGIN_THROTTLE_AFTER: positiveInt(5, 1000),
  TESSERA_LOGIN_LOCKOUT_AFTER: positiveInt(10, 1000),
  TESSERA_LOGIN_FAILURE_WINDOW: positiveInt(900, 86_400),
  TESSERA_LOGIN_LOCKOUT_DURATION: positiveInt(900, 86_400),
  TESSERA_LOGIN_IP_MAX_FAILURES: positiveInt(100, 1_000_000),

  // Hot path (README "Performance"): how long a replica serves a client or resource server
  // from memory (0 = never), how often it asks the store whether the catalog changed (0 = never,
  // the TTL alone bounds staleness), and how many processes serve the port (node:cluster).
  TESSERA_CLIENT_CACHE_TTL: z.coerce.number().int().min(0).max(300).default(5),
  TESSERA_CATALOG_POLL_MS: z.coerce
    .number()
    .int()
    .max(60_000)
    .refine((ms) => ms === 0 || ms >= 100, 'must be 0 (off) or from 100 to 60000')
    .default(1000),
  TESSERA_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
});

export type RawEnv = z.infer<typeof envSchema>;
