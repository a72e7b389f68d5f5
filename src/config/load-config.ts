import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import type { Config, ConfigWarning, KafkaConfig } from './config.ts';
import { ConfigError } from './config-error.ts';
import { loadOrCreateDevSecrets, type DevSecrets } from './dev-secrets.ts';
import { envSchema, type RawEnv } from './env-schema.ts';

const GENERATE_HINT = 'generate one with: openssl rand -base64 32 | tr "+/" "-_" | tr -d "="';

/**
 * Parses the environment once into a frozen Config. Throws ConfigError naming the first bad
 * variable. In production (NODE_ENV=production) every development default is refused.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const raw = parseEnv(env);
  const production = raw.NODE_ENV === 'production';
  const dataDir = resolve(raw.TESSERA_DATA_DIR);
  const issuer = resolveIssuer(raw, production);

  const devDefaults: string[] = [];
  let dev: DevSecrets | undefined;
  const fromDev = (variable: string, pick: (secrets: DevSecrets) => string): string => {
    if (production) {
      throw new ConfigError(variable, `required when NODE_ENV=production; ${GENERATE_HINT}`);
    }
    devDefaults.push(variable);
    dev ??= loadOrCreateDevSecrets(dataDir);
    return pick(dev);
  };

  const keyEncryptionKey = decodeKey(
    'TESSERA_KEY_ENCRYPTION_KEY',
    raw.TESSERA_KEY_ENCRYPTION_KEY ??
      fromDev('TESSERA_KEY_ENCRYPTION_KEY', (s) => s.keyEncryptionKey),
  );
  const cookieKeys = (
    raw.TESSERA_COOKIE_KEYS ?? fromDev('TESSERA_COOKIE_KEYS', (s) => s.cookieKeys.join(','))
  )
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (cookieKeys.length === 0 || cookieKeys.some((key) => key.length < 32)) {
    throw new ConfigError('TESSERA_COOKIE_KEYS', 'each comma-separated key needs >= 32 characters');
  }
  const pepper =
    raw.TESSERA_SECRET_PEPPER ?? fromDev('TESSERA_SECRET_PEPPER', (s) => s.secretPepper);
  if (pepper.length < 32) {
    throw new ConfigError('TESSERA_SECRET_PEPPER', 'needs >= 32 characters of random data');
  }

  const warnings: ConfigWarning[] = [];
  // Checked whether or not KAFKA_BROKERS is set, so a mistake shows before it matters.
  const kafkaSsl = parseKafkaSsl(raw);
  const kafkaSasl = parseKafkaSasl(raw);
  if (kafkaSasl && !kafkaSsl) {
    // SASL PLAIN sends the password itself; SCRAM does not, but the session it authenticates
    // (every event) then travels unencrypted and unauthenticated by the broker's certificate.
    const problem = `SASL (${kafkaSasl.mechanism}) over a plaintext connection`;
    if (production) {
      throw new ConfigError(
        'KAFKA_SSL',
        `must be true with KAFKA_SASL_MECHANISM in production: ${problem}`,
      );
    }
    warnings.push({
      variable: 'KAFKA_SSL',
      message: `${problem}: allowed outside production only; set KAFKA_SSL=true`,
    });
  }

  const storage: Config['storage'] = raw.MONGODB_URI
    ? {
        kind: 'mongodb',
        uri: raw.MONGODB_URI,
        dbName: raw.MONGODB_DB,
        ensureIndexes: raw.TESSERA_MONGODB_ENSURE_INDEXES,
      }
    : { kind: 'sqlite', path: resolve(dataDir, 'tessera.sqlite') };

  const config: Config = {
    production,
    http: {
      port: raw.PORT,
      host: raw.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      issuer,
      trustProxy: raw.TESSERA_TRUST_PROXY,
      fetchAllowPrivateNetworks: raw.TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS,
      shutdownTimeoutMs: raw.TESSERA_SHUTDOWN_TIMEOUT_MS,
      shutdownDelayMs: raw.TESSERA_SHUTDOWN_DELAY_MS,
    },
    dataDir,
    storage,
    kafka: raw.KAFKA_BROKERS
      ? {
          brokers: parseBrokers(raw.KAFKA_BROKERS),
          topic: raw.KAFKA_TOPIC,
          clientId: raw.KAFKA_CLIENT_ID,
          ssl: kafkaSsl,
          sasl: kafkaSasl,
        }
      : undefined,
    outbox: {
      retentionMs: raw.TESSERA_OUTBOX_RETENTION * 1000,
      // SQLite commits one write at a time inside the event's own transaction: nothing to settle.
      // MongoDB hands out sequences outside transactions (and, without them, writes an event
      // before its change): a second lets concurrent writes land before the relay reads.
      settleMs: raw.TESSERA_OUTBOX_SETTLE_MS ?? (storage.kind === 'sqlite' ? 0 : 1000),
      pollIntervalMs: raw.TESSERA_OUTBOX_POLL_MS,
      readyMaxBacklog: raw.TESSERA_OUTBOX_MAX_BACKLOG,
    },
    secrets: {
      keyEncryptionKey,
      cookieKeys,
      secretPepper: Buffer.from(pepper, 'utf8'),
    },
    tokens: {
      accessTokenTtl: raw.TESSERA_ACCESS_TOKEN_TTL,
      clientCredentialsTtl: raw.TESSERA_CLIENT_CREDENTIALS_TTL,
      idTokenTtl: raw.TESSERA_ID_TOKEN_TTL,
      clientSecretBytes: raw.TESSERA_CLIENT_SECRET_BYTES,
      sessionTtl: raw.TESSERA_SESSION_TTL,
      refreshTokenTtl: raw.TESSERA_REFRESH_TOKEN_TTL,
      grantTtl: grantTtl(raw),
    },
    dpop: { requireNonce: raw.TESSERA_DPOP_REQUIRE_NONCE },
    keys: resolveKeySchedule(raw),
    passwords: {
      argon2: {
        memoryKib: raw.TESSERA_ARGON2_MEMORY_KIB,
        iterations: raw.TESSERA_ARGON2_ITERATIONS,
        parallelism: raw.TESSERA_ARGON2_PARALLELISM,
      },
      // Half the CPUs in all, shared among the TESSERA_WORKERS processes, at least one each.
      workers:
        raw.TESSERA_ARGON2_WORKERS ??
        Math.max(1, Math.floor(availableParallelism() / 2 / raw.TESSERA_WORKERS)),
    },
    performance: {
      clientCacheTtlMs: raw.TESSERA_CLIENT_CACHE_TTL * 1000,
      catalogPollMs: raw.TESSERA_CATALOG_POLL_MS,
      workers: raw.TESSERA_WORKERS,
    },
    login: loginThrottleConfig(raw),
    log: { level: raw.LOG_LEVEL },
    metrics: { token: parseMetricsToken(raw.TESSERA_METRICS_TOKEN) },
    devDefaults,
    warnings,
  };
  return deepFreeze(config);
}

function grantTtl(raw: RawEnv): number {
  if (raw.TESSERA_GRANT_TTL < raw.TESSERA_REFRESH_TOKEN_TTL) {
    throw new ConfigError(
      'TESSERA_GRANT_TTL',
      `must be at least TESSERA_REFRESH_TOKEN_TTL (${raw.TESSERA_REFRESH_TOKEN_TTL})`,
    );
  }
  return raw.TESSERA_GRANT_TTL;
}

function loginThrottleConfig(raw: RawEnv): Config['login'] {
  if (raw.TESSERA_LOGIN_THROTTLE_AFTER > raw.TESSERA_LOGIN_LOCKOUT_AFTER) {
    throw new ConfigError(
      'TESSERA_LOGIN_THROTTLE_AFTER',
      `must not exceed TESSERA_LOGIN_LOCKOUT_AFTER (${raw.TESSERA_LOGIN_LOCKOUT_AFTER})`,
    );
  }
  return {
    throttleAfter: raw.TESSERA_LOGIN_THROTTLE_AFTER,
    lockoutAfter: raw.TESSERA_LOGIN_LOCKOUT_AFTER,
    failureWindowMs: raw.TESSERA_LOGIN_FAILURE_WINDOW * 1000,
    lockoutMs: raw.TESSERA_LOGIN_LOCKOUT_DURATION * 1000,
    ipMaxFailures: raw.TESSERA_LOGIN_IP_MAX_FAILURES,
  };
}

function parseEnv(env: Record<string, string | undefined>): RawEnv {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = String(issue?.path[0] ?? 'environment');
  throw new ConfigError(variable, `invalid value (${issue?.message ?? 'unknown problem'})`);
}

function resolveIssuer(raw: RawEnv, production: boolean): string | undefined {
  const issuer =
    raw.TESSERA_ISSUER ?? (raw.PORT === 0 ? undefined : `http://localhost:${raw.PORT}`);
  if (issuer === undefined) return undefined;
  const url = new URL(issuer);
  if (url.search || url.hash || url.pathname !== '/') {
    // Routes are served from the root; a path prefix would need every URL rewritten.
    throw new ConfigError('TESSERA_ISSUER', 'must be an origin without path, query or fragment');
  }
  if (production && url.protocol !== 'https:') {
    throw new ConfigError('TESSERA_ISSUER', 'must be an https URL when NODE_ENV=production');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('TESSERA_ISSUER', 'must be an http(s) URL');
  }
  // oidc-provider compares issuers as strings: drop a trailing slash so both forms mean one issuer.
  return issuer.replace(/\/+$/, '');
}

/**
 * A `next` key must be published for at least twice the JWKS max-age before it signs (DESIGN.md
 * section 6), and a rotation interval shorter than that lead plus one poll could never be kept.
 */
function resolveKeySchedule(raw: RawEnv): Config['keys'] {
  const floor = 2 * raw.TESSERA_JWKS_MAX_AGE;
  const publicationLead = raw.TESSERA_KEY_PUBLICATION_LEAD ?? floor;
  if (publicationLead < floor) {
    throw new ConfigError(
      'TESSERA_KEY_PUBLICATION_LEAD',
      `must be at least 2 × TESSERA_JWKS_MAX_AGE (${floor} s), so relying parties can fetch a key before it signs`,
    );
  }
  const minimumInterval = publicationLead + raw.TESSERA_KEY_POLL_INTERVAL;
  if (raw.TESSERA_KEY_ROTATION_INTERVAL < minimumInterval) {
    throw new ConfigError(
      'TESSERA_KEY_ROTATION_INTERVAL',
      `must be at least the publication lead plus the poll interval (${minimumInterval} s)`,
    );
  }
  return {
    jwksMaxAge: raw.TESSERA_JWKS_MAX_AGE,
    rotationInterval: raw.TESSERA_KEY_ROTATION_INTERVAL,
    publicationLead,
    retirementGrace: raw.TESSERA_KEY_RETIREMENT_GRACE,
    pollInterval: raw.TESSERA_KEY_POLL_INTERVAL,
  };
}

function decodeKey(variable: string, value: string): Buffer {
  const key = Buffer.from(value, 'base64url');
  if (key.length !== 32 || key.toString('base64url') !== value.replace(/=+$/, '')) {
    throw new ConfigError(variable, `must be 32 bytes encoded as base64url; ${GENERATE_HINT}`);
  }
  return key;
}

function parseMetricsToken(token: string | undefined): string | undefined {
  if (token !== undefined && token.length < 32) {
    throw new ConfigError('TESSERA_METRICS_TOKEN', `needs >= 32 characters; ${GENERATE_HINT}`);
  }
  return token;
}

function parseKafkaSsl(raw: RawEnv): KafkaConfig['ssl'] {
  if (!raw.KAFKA_SSL) {
    if (raw.KAFKA_SSL_CA_FILE !== undefined) {
      throw new ConfigError('KAFKA_SSL_CA_FILE', 'needs KAFKA_SSL=true');
    }
    return undefined;
  }
  if (raw.KAFKA_SSL_CA_FILE === undefined) return { ca: undefined };
  let ca: string;
  try {
    ca = readFileSync(resolve(raw.KAFKA_SSL_CA_FILE), 'utf8');
  } catch (error) {
    throw new ConfigError(
      'KAFKA_SSL_CA_FILE',
      `cannot read ${raw.KAFKA_SSL_CA_FILE} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError('KAFKA_SSL_CA_FILE', `${raw.KAFKA_SSL_CA_FILE} holds no PEM certificate`);
  }
  return { ca };
}

function parseKafkaSasl(raw: RawEnv): KafkaConfig['sasl'] {
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = raw;
  const password = raw.KAFKA_SASL_PASSWORD;
  if (mechanism === undefined) {
    for (const [variable, value] of [
      ['KAFKA_SASL_USERNAME', username],
      ['KAFKA_SASL_PASSWORD', password],
    ] as const) {
      if (value !== undefined) throw new ConfigError(variable, 'needs KAFKA_SASL_MECHANISM');
    }
    return undefined;
  }
  if (username === undefined) {
    throw new ConfigError('KAFKA_SASL_USERNAME', `required with KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  if (password === undefined) {
    throw new ConfigError('KAFKA_SASL_PASSWORD', `required with KAFKA_SASL_MECHANISM=${mechanism}`);
  }
  return { mechanism, username, password };
}

function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  for (const broker of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError('KAFKA_BROKERS', `"${broker}" is not host:port`);
    }
  }
  if (brokers.length === 0) throw new ConfigError('KAFKA_BROKERS', 'lists no broker');
  return brokers;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
