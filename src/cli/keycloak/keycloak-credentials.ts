import { z } from 'zod';

import { AppError } from '../../services/app-error.ts';
import { formatImportedHash } from '../../services/passwords/imported-password-hashes.ts';
import type { KeycloakCredential } from './keycloak-realm.ts';

/** The admin API's `password_hash` (POST /users, src/admin/user-routes.ts). */
export interface PasswordHashBody {
  readonly algorithm: 'pbkdf2-sha256' | 'pbkdf2-sha512' | 'argon2id' | 'argon2i' | 'argon2d';
  readonly iterations: number;
  readonly memory_kib?: number;
  readonly parallelism?: number;
  readonly salt: string;
  readonly hash: string;
}

/** What becomes of a user's Keycloak password credential. */
export type PasswordOutcome =
  | { readonly kind: 'hash'; readonly body: PasswordHashBody }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * Keycloak's PasswordCredentialModel, as stored (org.keycloak.models.credential.dto):
 * secretData `{"value": base64 hash, "salt": base64 salt, "additionalParameters": {}}`,
 * credentialData `{"hashIterations": n, "algorithm": "pbkdf2-sha256" | "pbkdf2-sha512" |
 * "argon2" | …, "additionalParameters": {…}}`; argon2's additional parameters are lists of one
 * string each: type (id, i, d), version (1.3), memory (KiB), parallelism, hashLength.
 */
const secretData = z.looseObject({ value: z.string().max(1000), salt: z.string().max(1000) });
const credentialData = z.looseObject({
  hashIterations: z.number(),
  algorithm: z.string().max(100),
  additionalParameters: z.record(z.string(), z.array(z.string().max(100))).optional(),
});

const ARGON2_TYPES = { id: 'argon2id', i: 'argon2i', d: 'argon2d' } as const;

const parseJson = (text: string | undefined): unknown => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * The password hash to import for a user's credentials; `none` with the reason when there is
 * no password credential, or one Tessera cannot verify (another algorithm, argon2 version 1.0,
 * unreadable data). The admin API checks the parameters' bounds when the user is created.
 */
export function passwordOf(credentials: readonly KeycloakCredential[]): PasswordOutcome {
  const outcome = readPassword(credentials);
  if (outcome.kind === 'none') return outcome;
  // The admin API would refuse the whole user for a hash outside the bounds (a cost that would
  // make sign-in a denial of service): the user is imported without a usable password instead.
  const { memory_kib: memoryKib, ...rest } = outcome.body;
  try {
    formatImportedHash({ ...rest, memoryKib });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { kind: 'none', reason: `a password hash Tessera does not accept (${error.message})` };
  }
  return outcome;
}

function readPassword(credentials: readonly KeycloakCredential[]): PasswordOutcome {
  const password = credentials.find((credential) => credential.type === 'password');
  if (!password) return { kind: 'none', reason: 'no password' };
  const secret = secretData.safeParse(parseJson(password.secretData));
  const data = credentialData.safeParse(parseJson(password.credentialData));
  if (!secret.success || !data.success) {
    return { kind: 'none', reason: 'a password credential that cannot be read' };
  }
  const { algorithm, hashIterations: iterations } = data.data;
  const { value: hash, salt } = secret.data;
  if (algorithm === 'pbkdf2-sha256' || algorithm === 'pbkdf2-sha512') {
    return { kind: 'hash', body: { algorithm, iterations, salt, hash } };
  }
  if (algorithm === 'argon2') {
    const extra = data.data.additionalParameters ?? {};
    const first = (name: string) => extra[name]?.[0];
    const type = ARGON2_TYPES[(first('type') ?? 'id') as keyof typeof ARGON2_TYPES];
    // Only version 1.3 (0x13): the one node:crypto implements.
    if (type === undefined || (first('version') ?? '1.3') !== '1.3') {
      return {
        kind: 'none',
        reason: `an argon2 hash of type ${first('type')} version ${first('version')}, which Tessera cannot verify`,
      };
    }
    return {
      kind: 'hash',
      body: {
        algorithm: type,
        iterations,
        memory_kib: Number(first('memory') ?? 7168),
        parallelism: Number(first('parallelism') ?? 1),
        salt,
        hash,
      },
    };
  }
  return {
    kind: 'none',
    reason: `password hashed with ${algorithm}, which Tessera does not accept`,
  };
}
