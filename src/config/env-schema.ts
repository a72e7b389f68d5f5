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

  MONGODB_URI: optionalString,
  MONGODB_DB: z
    .string()
    .regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'a MongoDB database name (no / \\ . space " $ * < > : | ?)')
    .default('tessera'),
  TESSERA_MONGODB_ENSURE_INDEXES: z.stringbool().default(true),
  KAFKA_BROKERS: optionalString,
  KAFKA_TOPIC: z.string().min(1).default('tessera.events'),

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
  TESSERA_SHUTDOWN_TIMEOUT_MS: positiveInt(10_000, 600_000),
  TESSERA_SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).max(120_000).default(0),
  TESSERA_METRICS_TOKEN: optionalString,
  TESSERA_CLIENT_SECRET_BYTES: z.coerce.number().int().min(32).max(128).default(32),
});

export type RawEnv = z.infer<typeof envSchema>;
