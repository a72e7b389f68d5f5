import { z } from 'zod';

import {
  IMPORTED_HASH_LIMITS,
  type ImportedPasswordHash,
} from '../services/passwords/imported-password-hashes.ts';

const limits = IMPORTED_HASH_LIMITS;
const base64 = z.string().min(1).max(200).describe('base64 or base64url, padding optional');

/** A password hash made by another server (imported-password-hashes.ts checks the values). */
export const importedHashSchema = z
  .object({
    algorithm: z.enum(['pbkdf2-sha256', 'pbkdf2-sha512', 'argon2id', 'argon2i', 'argon2d']),
    iterations: z
      .int()
      .min(1)
      .describe(
        `pbkdf2: ${limits.pbkdf2Iterations.min} to ${limits.pbkdf2Iterations.max}; ` +
          `argon2 passes: ${limits.argon2Iterations.min} to ${limits.argon2Iterations.max}`,
      ),
    memory_kib: z
      .int()
      .optional()
      .describe(`argon2 only: ${limits.argon2MemoryKib.min} to ${limits.argon2MemoryKib.max} KiB`),
    parallelism: z
      .int()
      .optional()
      .describe(`argon2 only: 1 to ${limits.argon2Parallelism.max} lanes`),
    salt: base64.describe(
      `${limits.saltBytes.min} to ${limits.saltBytes.max} bytes, base64 or base64url`,
    ),
    hash: base64.describe(
      `${limits.hashBytes.min} to ${limits.hashBytes.max} bytes, base64 or base64url`,
    ),
  })
  .strict();

/** The service's form of `password_hash`: undefined when absent, null for no usable password. */
export function importedHashInput(
  body: z.output<typeof importedHashSchema> | null | undefined,
): ImportedPasswordHash | null | undefined {
  if (body === undefined || body === null) return body;
  return {
    algorithm: body.algorithm,
    iterations: body.iterations,
    memoryKib: body.memory_kib,
    parallelism: body.parallelism,
    salt: body.salt,
    hash: body.hash,
  };
}
