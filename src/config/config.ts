import type { LevelWithSilent } from 'pino';

export type StorageConfig =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'mongodb';
      readonly uri: string;
      readonly dbName: string;
      /** Create missing indexes at startup (idempotent); `tessera migrate` does it on demand. */
      readonly ensureIndexes: boolean;
    };

export type KafkaSaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly topic: string;
  /** Kafka `client.id`: names Tessera in broker logs, quotas and ACL audit. */
  readonly clientId: string;
  /** TLS to every broker; `ca` (PEM) replaces Node's bundled CAs when set. Undefined: plaintext. */
  readonly ssl: { readonly ca: string | undefined } | undefined;
  /** SASL authentication; the password is a secret (never logged). Undefined: none. */
  readonly sasl:
    | {
        readonly mechanism: KafkaSaslMechanism;
        readonly username: string;
        readonly password: string;
      }
    | undefined;
}

/** A setting that starts Tessera but deserves the operator's attention (logged at startup). */
export interface ConfigWarning {
  readonly variable: string;
  readonly message: string;
}

export interface OutboxConfig {
  /** How long published events are kept (and, without Kafka, every event). */
  readonly retentionMs: number;
  /** The relay publishes only events appended at least this long ago. */
  readonly settleMs: number;
  /** How often the relay looks for new events while idle. */
  readonly pollIntervalMs: number;
  /** /readyz turns 503 while more events than this are pending; undefined = never. */
  readonly readyMaxBacklog: number | undefined;
}

export interface SecretsConfig {
  /** 32 bytes; encrypts private signing keys at rest (AES-256-GCM). */
  readonly keyEncryptionKey: Buffer;
  /** Keys oidc-provider signs its cookies with; the first signs, all verify. */
  readonly cookieKeys: readonly string[];
  /** HMAC key for client-secret hashes. */
  readonly secretPepper: Buffer;
}

export interface PasswordConfig {
  /** argon2id cost of new hashes; older hashes are rehashed at the next sign-in. */
  readonly argon2: {
    readonly memoryKib: number;
    readonly iterations: number;
    readonly parallelism: number;
  };
  /** Worker threads that run argon2 (off libuv's thread pool). */
  readonly workers: number;
}

export interface LoginThrottleConfig {
  /** Failures within the window after which each further attempt waits (doubling delay). */
  readonly throttleAfter: number;
  /** Failures within the window that lock the account for `lockoutMs`. */
  readonly lockoutAfter: number;
  readonly failureWindowMs: number;
  readonly lockoutMs: number;
  /** Failures from one client IP within the window after which that IP is refused. */
  readonly ipMaxFailures: number;
}

/** Tessera's whole configuration, parsed once from the environment and frozen. */
export interface Config {
  readonly production: boolean;
  readonly http: {
    readonly port: number;
    readonly host: string;
    /** Absent only when PORT=0 and TESSERA_ISSUER is unset: derived from the bound port. */
    readonly issuer: string | undefined;
    readonly trustProxy: boolean;
    /**
     * Let oidc-provider's outgoing requests (back-channel logout, client jwks_uri) reach
     * loopback and private addresses, which its SSRF guard refuses by default.
     */
    readonly fetchAllowPrivateNetworks: boolean;
    /** Bounds the request drain, and separately the shutdown steps (relay flush…). */
    readonly shutdownTimeoutMs: number;
    /** After a stop signal: keep serving (with /readyz at 503) this long before closing. */
    readonly shutdownDelayMs: number;
  };
  readonly dataDir: string;
  readonly storage: StorageConfig;
  readonly kafka: KafkaConfig | undefined;
  readonly outbox: OutboxConfig;
  readonly secrets: SecretsConfig;
  readonly tokens: {
    readonly accessTokenTtl: number;
    readonly clientCredentialsTtl: number;
    /** Seconds an ID token is valid. */
    readonly idTokenTtl: number;
    readonly clientSecretBytes: number;
    /** Seconds a sign-in session lasts on Tessera's pages (with "keep me signed in"). */
    readonly sessionTtl: number;
    /** Seconds each refresh token lives; every use rotates it and starts a new one. */
    readonly refreshTokenTtl: number;
    /** Seconds a grant (consent, and the refresh tokens under it) lasts at most. */
    readonly grantTtl: number;
  };
  /** Sender-constrained tokens (RFC 9449). */
  readonly dpop: {
    /**
     * Every DPoP proof must carry a nonce Tessera issued (RFC 9449 section 8); a proof without
     * one is answered `use_dpop_nonce` with a fresh nonce in `DPoP-Nonce`.
     */
    readonly requireNonce: boolean;
  };
  /** Signing-key schedule, all in seconds (keys/key-schedule.ts turns it into rules). */
  readonly keys: {
    /** How long relying parties may cache /jwks (Cache-Control max-age). */
    readonly jwksMaxAge: number;
    /** How long a generation signs before the next one takes over. */
    readonly rotationInterval: number;
    /** How long a `next` key is published before it may sign; at least 2 × jwksMaxAge. */
    readonly publicationLead: number;
    /** Margin (clock skew) a retired key stays published beyond the longest token lifetime. */
    readonly retirementGrace: number;
    /** How often every replica polls the store for key changes. */
    readonly pollInterval: number;
  };
  readonly passwords: PasswordConfig;
  readonly performance: {
    /**
     * Milliseconds a replica serves a client or resource server from memory (0 = never); bounds
     * how long a change made through another replica takes to apply here.
     */
    readonly clientCacheTtlMs: number;
    /**
     * Milliseconds between a replica's reads of the catalog generation; a change made anywhere
     * drops this replica's cached clients and resource servers within it (0 = no polling).
     */
    readonly catalogPollMs: number;
    /** Processes serving the port (TESSERA_WORKERS, node:cluster); 1 = this process alone. */
    readonly workers: number;
  };
  readonly login: LoginThrottleConfig;
  readonly log: { readonly level: LevelWithSilent };
  readonly metrics: {
    /** When set, GET /metrics requires `Authorization: Bearer <token>`. */
    readonly token: string | undefined;
  };
  /** Variables that fell back to development defaults; startup warns about each. */
  readonly devDefaults: readonly string[];
  /** Settings allowed outside production that startup warns about. */
  readonly warnings: readonly ConfigWarning[];
}
