import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config/load-config.ts';

const key = () => randomBytes(32).toString('base64url');

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const productionEnv = () => ({
    NODE_ENV: 'production',
    TESSERA_ISSUER: 'https://id.example.com',
    TESSERA_DATA_DIR: dataDir,
    TESSERA_KEY_ENCRYPTION_KEY: key(),
    TESSERA_COOKIE_KEYS: `${key()},${key()}`,
    TESSERA_SECRET_PEPPER: key(),
  });

  const errorOf = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    throw new Error('expected a ConfigError');
  };

  it('starts in development with no variables at all, on localhost:3000 with SQLite in the data dir', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(config.production).toBe(false);
    expect(config.http).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      issuer: 'http://localhost:3000',
    });
    expect(config.storage).toEqual({ kind: 'sqlite', path: join(dataDir, 'tessera.sqlite') });
    expect(config.kafka).toBeUndefined();
    expect(config.devDefaults).toEqual([
      'TESSERA_KEY_ENCRYPTION_KEY',
      'TESSERA_COOKIE_KEYS',
      'TESSERA_SECRET_PEPPER',
    ]);
  });

  it('generates development secrets once, into a private file, and reuses them', () => {
    const first = loadConfig({ TESSERA_DATA_DIR: dataDir });
    const file = join(dataDir, 'dev-secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(second.secrets.keyEncryptionKey.equals(first.secrets.keyEncryptionKey)).toBe(true);
    expect(second.secrets.cookieKeys).toEqual(first.secrets.cookieKeys);
    expect(readFileSync(file, 'utf8')).toContain(
      first.secrets.keyEncryptionKey.toString('base64url'),
    );
  });

  it('returns a frozen object', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
  });

  it('accepts a complete production configuration and writes no dev secrets', () => {
    const config = loadConfig({
      ...productionEnv(),
      MONGODB_URI: 'mongodb://db:27017',
      KAFKA_BROKERS: 'k1:9092, k2:9092',
    });
    expect(config.production).toBe(true);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.storage).toEqual({
      kind: 'mongodb',
      uri: 'mongodb://db:27017',
      dbName: 'tessera',
      ensureIndexes: true,
    });
    expect(config.kafka).toEqual({
      brokers: ['k1:9092', 'k2:9092'],
      topic: 'tessera.events',
      clientId: 'tessera',
      ssl: undefined,
      sasl: undefined,
    });
    expect(config.warnings).toEqual([]);
    expect(config.devDefaults).toEqual([]);
    expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(false);
  });

  it('selects MongoDB by MONGODB_URI, with the database name and index ensuring as configured', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      MONGODB_URI: 'mongodb://db1:27017,db2:27017/?replicaSet=rs0',
      MONGODB_DB: 'tessera_eu',
      TESSERA_MONGODB_ENSURE_INDEXES: 'false',
    });
    expect(config.storage).toEqual({
      kind: 'mongodb',
      uri: 'mongodb://db1:27017,db2:27017/?replicaSet=rs0',
      dbName: 'tessera_eu',
      ensureIndexes: false,
    });
  });

  it.each([
    ['MONGODB_DB', 'tessera.prod'],
    ['TESSERA_MONGODB_ENSURE_INDEXES', 'sometimes'],
  ])('refuses %s=%s and names the variable', (variable, value) => {
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      MONGODB_URI: 'mongodb://db',
      [variable]: value,
    });
    expect(error.variable).toBe(variable);
  });

  it.each(['TESSERA_KEY_ENCRYPTION_KEY', 'TESSERA_COOKIE_KEYS', 'TESSERA_SECRET_PEPPER'])(
    'refuses production without %s and names it',
    (variable) => {
      const env: Record<string, string> = productionEnv();
      delete env[variable];
      const error = errorOf(env);
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^${variable}: required when NODE_ENV=production`));
    },
  );

  it('refuses an http issuer in production', () => {
    expect(errorOf({ ...productionEnv(), TESSERA_ISSUER: 'http://id.example.com' }).variable).toBe(
      'TESSERA_ISSUER',
    );
  });

  it('refuses production without an explicit issuer (the default is http)', () => {
    const env: Record<string, string> = productionEnv();
    delete env.TESSERA_ISSUER;
    expect(errorOf(env).variable).toBe('TESSERA_ISSUER');
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['TESSERA_ISSUER', 'not a url'],
    ['TESSERA_ISSUER', 'https://id.example.com/prefix'],
    ['TESSERA_KEY_ENCRYPTION_KEY', 'too-short'],
    ['TESSERA_KEY_ENCRYPTION_KEY', Buffer.alloc(32, 0xfb).toString('base64')],
    ['TESSERA_COOKIE_KEYS', 'short'],
    ['TESSERA_SECRET_PEPPER', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['KAFKA_BROKERS', 'no-port'],
    ['TESSERA_ACCESS_TOKEN_TTL', '-5'],
    ['TESSERA_TRUST_PROXY', 'maybe'],
    ['TESSERA_SHUTDOWN_DELAY_MS', '-1'],
    ['TESSERA_SHUTDOWN_DELAY_MS', '600000'],
    ['TESSERA_METRICS_TOKEN', 'guessable'],
    ['TESSERA_ID_TOKEN_TTL', '86401'],
    ['TESSERA_KEY_ROTATION_INTERVAL', '0'],
    ['TESSERA_KEY_PUBLICATION_LEAD', 'soon'],
    ['TESSERA_KEY_RETIREMENT_GRACE', '-1'],
    ['TESSERA_KEY_POLL_INTERVAL', '1.5'],
    ['TESSERA_ARGON2_MEMORY_KIB', '1024'],
    ['TESSERA_ARGON2_ITERATIONS', '0'],
    ['TESSERA_ARGON2_PARALLELISM', '17'],
    ['TESSERA_ARGON2_WORKERS', '0'],
    ['TESSERA_LOGIN_THROTTLE_AFTER', '0'],
    ['TESSERA_LOGIN_LOCKOUT_AFTER', 'ten'],
    ['TESSERA_LOGIN_FAILURE_WINDOW', '-1'],
    ['TESSERA_LOGIN_LOCKOUT_DURATION', '0'],
    ['TESSERA_LOGIN_IP_MAX_FAILURES', '1.5'],
    ['TESSERA_SESSION_TTL', '0'],
    ['TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS', 'sometimes'],
    ['TESSERA_REFRESH_TOKEN_TTL', 'forever'],
    ['TESSERA_GRANT_TTL', '60'],
    ['TESSERA_OUTBOX_RETENTION', '0'],
    ['TESSERA_OUTBOX_SETTLE_MS', '-1'],
    ['TESSERA_OUTBOX_SETTLE_MS', '60001'],
    ['TESSERA_OUTBOX_POLL_MS', '5'],
    ['TESSERA_OUTBOX_MAX_BACKLOG', '0'],
    ['TESSERA_CLIENT_CACHE_TTL', '-1'],
    ['TESSERA_CLIENT_CACHE_TTL', '301'],
    ['TESSERA_CATALOG_POLL_MS', '-1'],
    ['TESSERA_CATALOG_POLL_MS', '50'],
    ['TESSERA_CATALOG_POLL_MS', '60001'],
    ['TESSERA_CATALOG_POLL_MS', 'often'],
    ['TESSERA_WORKERS', '0'],
    ['TESSERA_WORKERS', 'all'],
  ])('names %s when its value (%s) is invalid', (variable, value) => {
    const error = errorOf({ TESSERA_DATA_DIR: dataDir, [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('reports every invalid variable at once, one line each naming it, in the order of the reference', () => {
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_GRANT_TTL: '60',
      TESSERA_COOKIE_KEYS: 'short',
      KAFKA_SASL_USERNAME: 'tessera',
      LOG_LEVEL: 'loud',
      PORT: 'eighty',
    });
    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'PORT',
      'LOG_LEVEL',
      'KAFKA_SASL_USERNAME',
      'TESSERA_COOKIE_KEYS',
      'TESSERA_GRANT_TTL',
    ]);
    expect(error.variable).toBe('PORT');
    expect(error.message.split('\n')).toEqual([
      expect.stringMatching(/^PORT: invalid value \(/),
      expect.stringMatching(/^LOG_LEVEL: invalid value \(/),
      'KAFKA_SASL_USERNAME: needs KAFKA_SASL_MECHANISM',
      expect.stringMatching(/^TESSERA_COOKIE_KEYS: invalid value \(each comma-separated key/),
      `TESSERA_GRANT_TTL: must be at least TESSERA_REFRESH_TOKEN_TTL (${14 * 86_400})`,
    ]);
  });

  it('refuses production without any secret, naming each of the three', () => {
    const env: Record<string, string> = productionEnv();
    delete env.TESSERA_KEY_ENCRYPTION_KEY;
    delete env.TESSERA_COOKIE_KEYS;
    delete env.TESSERA_SECRET_PEPPER;
    expect(errorOf(env).problems).toEqual([
      { variable: 'TESSERA_KEY_ENCRYPTION_KEY', message: expect.stringMatching(/^required when/) },
      { variable: 'TESSERA_COOKIE_KEYS', message: expect.stringMatching(/^required when/) },
      { variable: 'TESSERA_SECRET_PEPPER', message: expect.stringMatching(/^required when/) },
    ]);
    expect(existsSync(join(dataDir, 'dev-secrets.json'))).toBe(false);
  });

  it('checks a rule among variables only once each of them is valid', () => {
    // Unchecked, the credentials would be refused as lacking a mechanism: there is one, mistyped.
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      KAFKA_SASL_MECHANISM: 'gssapi',
      KAFKA_SASL_USERNAME: 'tessera',
      KAFKA_SASL_PASSWORD: 'hunter2-but-longer',
    });
    expect(error.problems.map((problem) => problem.variable)).toEqual(['KAFKA_SASL_MECHANISM']);
  });

  it('keeps published events 7 days, polls twice a second, and never fails readiness on the backlog by default', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).outbox).toEqual({
      retentionMs: 7 * 86_400_000,
      settleMs: 0,
      pollIntervalMs: 500,
      readyMaxBacklog: undefined,
    });
  });

  it('lets outbox events settle for a second before publishing them on MongoDB by default', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir, MONGODB_URI: 'mongodb://db' });
    expect(config.outbox.settleMs).toBe(1000);
  });

  it('reads the outbox settings', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_OUTBOX_RETENTION: '3600',
      TESSERA_OUTBOX_SETTLE_MS: '250',
      TESSERA_OUTBOX_POLL_MS: '100',
      TESSERA_OUTBOX_MAX_BACKLOG: '50000',
    });
    expect(config.outbox).toEqual({
      retentionMs: 3_600_000,
      settleMs: 250,
      pollIntervalMs: 100,
      readyMaxBacklog: 50_000,
    });
  });

  it('serves /metrics without a token and starts draining at once unless configured', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(config.metrics.token).toBeUndefined();
    expect(config.http.shutdownDelayMs).toBe(0);
  });

  it('reads the metrics token and the shutdown delay', () => {
    const token = key();
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_METRICS_TOKEN: token,
      TESSERA_SHUTDOWN_DELAY_MS: '5000',
    });
    expect(config.metrics.token).toBe(token);
    expect(config.http.shutdownDelayMs).toBe(5000);
  });

  it('derives the issuer from the bound port when PORT=0 and no issuer is set', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir, PORT: '0' }).http.issuer).toBeUndefined();
  });

  it('drops a trailing slash from the issuer', () => {
    expect(
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_ISSUER: 'http://localhost:8080/' }).http
        .issuer,
    ).toBe('http://localhost:8080');
  });

  it('schedules key rotation every 30 days, publishing next keys 2 × max-age ahead, by default', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).keys).toEqual({
      jwksMaxAge: 600,
      rotationInterval: 30 * 86_400,
      publicationLead: 1200,
      retirementGrace: 600,
      pollInterval: 15,
    });
  });

  it('derives the default publication lead from the JWKS max-age', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_JWKS_MAX_AGE: '1' });
    expect(config.keys.publicationLead).toBe(2);
  });

  it('refuses a publication lead below twice the JWKS max-age and names the floor', () => {
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_JWKS_MAX_AGE: '300',
      TESSERA_KEY_PUBLICATION_LEAD: '599',
    });
    expect(error.variable).toBe('TESSERA_KEY_PUBLICATION_LEAD');
    expect(error.message).toContain('600 s');
  });

  it('refuses a rotation interval shorter than the publication lead plus one poll', () => {
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_JWKS_MAX_AGE: '1',
      TESSERA_KEY_POLL_INTERVAL: '1',
      TESSERA_KEY_ROTATION_INTERVAL: '2',
    });
    expect(error.variable).toBe('TESSERA_KEY_ROTATION_INTERVAL');
    expect(error.message).toContain('3 s');
  });

  it('reads the ID token lifetime', () => {
    expect(
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_ID_TOKEN_TTL: '300' }).tokens.idTokenTtl,
    ).toBe(300);
  });

  it('defaults password hashing to argon2id m=19 MiB, t=2, p=1 on at least one worker', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(config.passwords.argon2).toEqual({ memoryKib: 19_456, iterations: 2, parallelism: 1 });
    expect(config.passwords.workers).toBeGreaterThanOrEqual(1);
  });

  it('caches clients for 5 s, polls for catalog changes every second, reclaims memory after 30 s of quiet and serves from one process by default', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir });
    expect(config.performance).toEqual({
      clientCacheTtlMs: 5000,
      catalogPollMs: 1000,
      idleReclaimAfterMs: 30_000,
      workers: 1,
    });
  });

  it('reads the client cache TTL (0 turns it off), the catalog poll interval, the idle reclaim delay and the worker process count', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_CLIENT_CACHE_TTL: '0',
      TESSERA_CATALOG_POLL_MS: '250',
      TESSERA_IDLE_RECLAIM_AFTER: '0',
      TESSERA_WORKERS: '2',
    });
    expect(config.performance).toEqual({
      clientCacheTtlMs: 0,
      catalogPollMs: 250,
      idleReclaimAfterMs: 0,
      workers: 2,
    });
  });

  it('turns catalog polling off with TESSERA_CATALOG_POLL_MS=0', () => {
    const config = loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_CATALOG_POLL_MS: '0' });
    expect(config.performance.catalogPollMs).toBe(0);
  });

  it('shares the default argon2 threads among the worker processes, at least one each', () => {
    const single = loadConfig({ TESSERA_DATA_DIR: dataDir });
    const many = loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_WORKERS: '64' });
    expect(many.passwords.workers).toBe(1);
    expect(many.passwords.workers).toBeLessThanOrEqual(single.passwords.workers);
  });

  it('reads the argon2 cost, worker count and niceness from the environment', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_ARGON2_MEMORY_KIB: '65536',
      TESSERA_ARGON2_ITERATIONS: '3',
      TESSERA_ARGON2_PARALLELISM: '4',
      TESSERA_ARGON2_WORKERS: '3',
      TESSERA_ARGON2_NICE: '0',
    });
    expect(config.passwords).toEqual({
      argon2: { memoryKib: 65_536, iterations: 3, parallelism: 4 },
      workers: 3,
      niceness: 0,
    });
  });

  it('runs the argon2 threads at nice 10 by default', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).passwords.niceness).toBe(10);
  });

  it('defaults the sign-in throttle to a delay after 5 and a 15-minute lockout after 10 failures', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).login).toEqual({
      throttleAfter: 5,
      lockoutAfter: 10,
      failureWindowMs: 900_000,
      lockoutMs: 900_000,
      ipMaxFailures: 100,
    });
  });

  it('reads the sign-in throttle from the environment, in seconds', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_LOGIN_THROTTLE_AFTER: '3',
      TESSERA_LOGIN_LOCKOUT_AFTER: '6',
      TESSERA_LOGIN_FAILURE_WINDOW: '600',
      TESSERA_LOGIN_LOCKOUT_DURATION: '3600',
      TESSERA_LOGIN_IP_MAX_FAILURES: '40',
    });
    expect(config.login).toEqual({
      throttleAfter: 3,
      lockoutAfter: 6,
      failureWindowMs: 600_000,
      lockoutMs: 3_600_000,
      ipMaxFailures: 40,
    });
  });

  it('refuses a throttle threshold above the lockout threshold', () => {
    const error = errorOf({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_LOGIN_THROTTLE_AFTER: '12',
      TESSERA_LOGIN_LOCKOUT_AFTER: '10',
    });
    expect(error.variable).toBe('TESSERA_LOGIN_THROTTLE_AFTER');
  });

  it('defaults sessions and refresh tokens to 14 days within a 90-day grant', () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).tokens).toMatchObject({
      sessionTtl: 14 * 86_400,
      refreshTokenTtl: 14 * 86_400,
      grantTtl: 90 * 86_400,
    });
  });

  it('reads the session, refresh-token and grant lifetimes from the environment', () => {
    const config = loadConfig({
      TESSERA_DATA_DIR: dataDir,
      TESSERA_SESSION_TTL: '3600',
      TESSERA_REFRESH_TOKEN_TTL: '7200',
      TESSERA_GRANT_TTL: '86400',
    });
    expect(config.tokens).toMatchObject({
      sessionTtl: 3600,
      refreshTokenTtl: 7200,
      grantTtl: 86_400,
    });
  });

  it("keeps oidc-provider's guard against private addresses unless told otherwise", () => {
    expect(loadConfig({ TESSERA_DATA_DIR: dataDir }).http.fetchAllowPrivateNetworks).toBe(false);
    expect(
      loadConfig({ TESSERA_DATA_DIR: dataDir, TESSERA_FETCH_ALLOW_PRIVATE_NETWORKS: 'true' }).http
        .fetchAllowPrivateNetworks,
    ).toBe(true);
  });
});
