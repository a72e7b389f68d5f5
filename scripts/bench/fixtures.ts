import { randomBytes } from 'node:crypto';

/** What both benchmark targets (Tessera and the baseline) are set up with, so they do the same. */
export interface BenchFixtures {
  /** A client-credentials service client (client_secret_basic). */
  readonly service: { readonly clientId: string; readonly clientSecret: string };
  /** A web application signing people in (authorization code + refresh tokens). */
  readonly app: {
    readonly clientId: string;
    readonly clientSecret: string;
    readonly redirectUri: string;
  };
  /** Resource server answered with ES256 JWT access tokens (RFC 9068). */
  readonly jwtApi: string;
  /** Resource server answered with opaque access tokens. */
  readonly opaqueApi: string;
  /** The one scope both resource servers offer. */
  readonly scope: string;
  readonly username: string;
  /**
   * Every account, `username` first, all with `password`: concurrent sign-ins each take their
   * own (drained-sign-ins.ts), as different people would. Attempts held on one account count as
   * failures until they end (src/services/sign-in-reservations.ts), so eight at once on one
   * account trip its throttle and some are refused (429).
   */
  readonly usernames: readonly string[];
  readonly password: string;
}

export const BENCH_SCOPE = 'bench';
export const BENCH_JWT_API = 'https://jwt.bench.example/api';
export const BENCH_OPAQUE_API = 'https://opaque.bench.example/api';
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const BENCH_USERNAME = 'bench';
export const BENCH_PASSWORD = 'correct horse battery staple';
/** Accounts seeded in Tessera: `--logins` above this share them. */
export const BENCH_ACCOUNTS = 16;
export const BENCH_USERNAMES: readonly string[] = Array.from(
  { length: BENCH_ACCOUNTS },
  (_, index) => (index === 0 ? BENCH_USERNAME : `${BENCH_USERNAME}-${index}`),
);

export const basicAuthorization = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Fresh key-encryption key, cookie keys and secret pepper for a throwaway bench instance. */
export const benchSecrets = (): Record<string, string> => ({
  TESSERA_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  TESSERA_COOKIE_KEYS: randomBytes(32).toString('base64url'),
  TESSERA_SECRET_PEPPER: randomBytes(32).toString('base64url'),
});
