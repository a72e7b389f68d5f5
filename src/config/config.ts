import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';

import { publicationLeadOf } from './env/signing-keys.ts';
import type { Env } from './env-schema.ts';

/** A setting that starts Tessera but deserves the operator's attention (logged at startup). */
export interface ConfigWarning {
  readonly variable: string;
  readonly message: string;
}

/** What loading adds to the variables: the secrets in use (set or generated) and files read. */
export interface LoadedSettings {
  readonly keyEncryptionKey: Buffer;
  readonly cookieKeys: readonly string[];
  readonly secretPepper: string;
  /** KAFKA_SSL_CA_FILE's content, when set. */
  readonly kafkaCa: string | undefined;
  /** Variables that fell back to development defaults; startup warns about each. */
  readonly devDefaults: readonly string[];
  /** Settings allowed outside production that startup warns about. */
  readonly warnings: readonly ConfigWarning[];
}

/**
 * Arranges valid variables (every rule in src/config/env/ holds) into the shape the code reads,
 * applying the defaults that derive from other variables. Config is its return type.
 */
export function arrangeConfig(env: Env, loaded: LoadedSettings) {
  const production = env.NODE_ENV === 'production';
  const dataDir = resolve(env.TESSERA_DATA_DIR);
  const storage = env.MONGODB_URI
    ? {
        kind: 'mongodb' as const,
        uri: env.MONGODB_URI,
        dbName: env.MONGODB_DB,
        /** Create missing indexes at startup (idempotent); `tessera migrate` does it on demand. */
        ensureIndexes: env.TESSERA_MONGODB_ENSURE_INDEXES,
      }
    : { kind: 'sqlite' as const, path: resolve(dataDir, 'tessera.sqlite') };
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username } = env;
  const password = env.KAFKA_SASL_PASSWORD;

  return {
    production,
    http: {
      port: env.PORT,
      host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
      /** Absent only when PORT=0 and TESSERA_ISSUER is unset: derived from the bound port. */
      issuer: env.TESSERA_ISSUER ?? (env.PORT === 0 ? undefined : `http://localhost:${env.PORT}`),
      trustProxy: env.TESSERA_TRUST_PROXY,
      /**
       * Let oidc-provider's outgoing requests (back-channel logout, client jwks_uri) reach
       * loopback and private addresses, which its SSRF guard refuses by default.
       */
      fetchAllowPrivateNetworks: env.TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS,
      /** Bounds the request drain, and separately the shutdown steps (relay flush…). */
      shutdownTimeoutMs: env.TESSERA_SHUTDOWN_TIMEOUT_MS,
      /** After a stop signal: keep serving (with /readyz at 503) this long before closing. */
      shutdownDelayMs: env.TESSERA_SHUTDOWN_DELAY_MS,
    },
    dataDir,
    storage,
    kafka: env.KAFKA_BROKERS
      ? {
          brokers: env.KAFKA_BROKERS,
          topic: env.KAFKA_TOPIC,
          /** Kafka `client.id`: names Tessera in broker logs, quotas and ACL audit. */
          clientId: env.KAFKA_CLIENT_ID,
          /** TLS to every broker; `ca` (PEM) replaces Node's bundled CAs when set. Undefined: plaintext. */
          ssl: env.KAFKA_SSL ? { ca: loaded.kafkaCa } : undefined,
          /** SASL authentication; the password is a secret (never logged). Undefined: none. */
          sasl:
            // The rules make username and password present exactly when a mechanism is.
            mechanism && username !== undefined && password !== undefined
              ? { mechanism, username, password }
              : undefined,
        }
      : undefined,
    outbox: {
      /** How long published events are kept (and, without Kafka, every event). */
      retentionMs: env.TESSERA_OUTBOX_RETENTION * 1000,
      /**
       * The relay publishes only events appended at least this long ago. SQLite commits one
       * write at a time inside the event's own transaction: nothing to settle. MongoDB hands out
       * sequences outside transactions (and, without them, writes an event before its change):
       * a second lets concurrent writes land before the relay reads.
       */
      settleMs: env.TESSERA_OUTBOX_SETTLE_MS ?? (storage.kind === 'sqlite' ? 0 : 1000),
      /** How often the relay looks for new events while idle. */
      pollIntervalMs: env.TESSERA_OUTBOX_POLL_MS,
      /** /readyz turns 503 while more events than this are pending; undefined = never. */
      readyMaxBacklog: env.TESSERA_OUTBOX_MAX_BACKLOG,
    },
    secrets: {
      /** 32 bytes; encrypts private signing keys at rest (AES-256-GCM). */
      keyEncryptionKey: loaded.keyEncryptionKey,
      /** Keys oidc-provider signs its cookies with; the first signs, all verify. */
      cookieKeys: loaded.cookieKeys,
      /** HMAC key for client-secret hashes. */
      secretPepper: Buffer.from(loaded.secretPepper, 'utf8'),
    },
    tokens: {
      accessTokenTtl: env.TESSERA_ACCESS_TOKEN_TTL,
      clientCredentialsTtl: env.TESSERA_CLIENT_CREDENTIALS_TTL,
      /** Seconds an ID token is valid. */
      idTokenTtl: env.TESSERA_ID_TOKEN_TTL,
      clientSecretBytes: env.TESSERA_CLIENT_SECRET_BYTES,
      /** Seconds a sign-in session lasts on Tessera's pages (with "keep me signed in"). */
      sessionTtl: env.TESSERA_SESSION_TTL,
      /** Seconds each refresh token lives; every use rotates it and starts a new one. */
      refreshTokenTtl: env.TESSERA_REFRESH_TOKEN_TTL,
      /** Seconds a grant (consent, and the refresh tokens under it) lasts at most. */
      grantTtl: env.TESSERA_GRANT_TTL,
    },
    /** Sender-constrained tokens (RFC 9449). */
    dpop: {
      /**
       * Every DPoP proof must carry a nonce Tessera issued (RFC 9449 section 8); a proof without
       * one is answered `use_dpop_nonce` with a fresh nonce in `DPoP-Nonce`.
       */
      requireNonce: env.TESSERA_DPOP_REQUIRE_NONCE,
    },
    /** Signing-key schedule, all in seconds (keys/key-schedule.ts turns it into rules). */
    keys: {
      /** How long relying parties may cache /jwks (Cache-Control max-age). */
      jwksMaxAge: env.TESSERA_JWKS_MAX_AGE,
      /** How long a generation signs before the next one takes over. */
      rotationInterval: env.TESSERA_KEY_ROTATION_INTERVAL,
      /** How long a `next` key is published before it may sign; at least 2 × jwksMaxAge. */
      publicationLead: publicationLeadOf(env),
      /** Margin (clock skew) a retired key stays published beyond the longest token lifetime. */
      retirementGrace: env.TESSERA_KEY_RETIREMENT_GRACE,
      /** How often every replica polls the store for key changes. */
      pollInterval: env.TESSERA_KEY_POLL_INTERVAL,
    },
    passwords: {
      /** argon2id cost of new hashes; older hashes are rehashed at the next sign-in. */
      argon2: {
        memoryKib: env.TESSERA_ARGON2_MEMORY_KIB,
        iterations: env.TESSERA_ARGON2_ITERATIONS,
        parallelism: env.TESSERA_ARGON2_PARALLELISM,
      },
      /**
       * Worker threads that run argon2 (off libuv's thread pool). Unset: half the CPUs in all,
       * shared among the TESSERA_WORKERS processes, at least one each.
       */
      workers:
        env.TESSERA_ARGON2_WORKERS ??
        Math.max(1, Math.floor(availableParallelism() / 2 / env.TESSERA_WORKERS)),
      /** Niceness of the argon2 threads (Linux): below the event loop's, which stays at 0. */
      niceness: env.TESSERA_ARGON2_NICE,
    },
    performance: {
      /**
       * Milliseconds a replica serves a client or resource server from memory (0 = never); bounds
       * how long a change made through another replica takes to apply here.
       */
      clientCacheTtlMs: env.TESSERA_CLIENT_CACHE_TTL * 1000,
      /**
       * Milliseconds between a replica's reads of the catalog generation; a change made anywhere
       * drops this replica's cached clients and resource servers within it (0 = no polling).
       */
      catalogPollMs: env.TESSERA_CATALOG_POLL_MS,
      /**
       * Milliseconds of quiet after traffic before the process runs V8's memory-reducing
       * collection once (0 = never; src/lifecycle/idle-detector.ts).
       */
      idleReclaimAfterMs: env.TESSERA_IDLE_RECLAIM_AFTER * 1000,
      /** Processes serving the port (TESSERA_WORKERS, node:cluster); 1 = this process alone. */
      workers: env.TESSERA_WORKERS,
    },
    login: {
      /** Failures within the window after which each further attempt waits (doubling delay). */
      throttleAfter: env.TESSERA_LOGIN_THROTTLE_AFTER,
      /** Failures within the window that lock the account for `lockoutMs`. */
      lockoutAfter: env.TESSERA_LOGIN_LOCKOUT_AFTER,
      failureWindowMs: env.TESSERA_LOGIN_FAILURE_WINDOW * 1000,
      lockoutMs: env.TESSERA_LOGIN_LOCKOUT_DURATION * 1000,
      /** Failures from one client IP within the window after which that IP is refused. */
      ipMaxFailures: env.TESSERA_LOGIN_IP_MAX_FAILURES,
    },
    /** Whether every account must have a second factor (src/services/factors/). */
    mfa: env.TESSERA_MFA,
    log: { level: env.LOG_LEVEL },
    metrics: {
      /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
      token: env.TESSERA_METRICS_TOKEN,
    },
    /** Variables that fell back to development defaults; startup warns about each. */
    devDefaults: loaded.devDefaults,
    /** Settings allowed outside production that startup warns about. */
    warnings: loaded.warnings,
  };
}

/** Read-only all the way down (a Buffer stays a Buffer). */
type DeepReadonly<T> = T extends Buffer
  ? T
  : T extends readonly (infer Item)[]
    ? readonly DeepReadonly<Item>[]
    : T extends object
      ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
      : T;

/** Tessera's whole configuration, parsed once from the environment and frozen. */
export type Config = DeepReadonly<ReturnType<typeof arrangeConfig>>;

export type StorageConfig = Config['storage'];
export type KafkaConfig = NonNullable<Config['kafka']>;
export type KafkaSaslMechanism = NonNullable<KafkaConfig['sasl']>['mechanism'];
export type OutboxConfig = Config['outbox'];
export type SecretsConfig = Config['secrets'];
export type PasswordConfig = Config['passwords'];
export type LoginThrottleConfig = Config['login'];
