import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
} from 'node:crypto';

import type { OidcModelName, OidcPayload } from '../ports/oidc-models.ts';
import { JWT_RECORD_FORMAT } from './removal-events.ts';
import { storageKeyOf } from './stored-token-keys.ts';

/**
 * What the store keeps of oidc-provider's bearer artifacts, so that nothing read from the store
 * or a backup works as a credential (RFC 9700 section 4.14: tokens at rest; the same idea as
 * Ory Hydra keeping only token signatures).
 *
 * - The record's key is `hex(SHA-256(value))`, never the value. Every value oidc-provider hands
 *   out here is random with at least 256 bits of entropy (its nanoid ids are 43 symbols of a
 *   64-letter alphabet, lib/helpers/nanoid.js; opaque tokens use `formats.bitsOfOpaqueRandomness`,
 *   256 by default, lib/models/formats/opaque.js), so an unkeyed hash cannot be reversed or
 *   guessed, and it needs no server secret whose loss or rotation would strand every record.
 *   Hex keeps new keys apart from the ids an older Tessera stored (43 or 46 characters with
 *   `_`, `-`, `~`), which is how legacy-record-protection.ts finds those.
 * - The payload's copy of the value (`jti`) becomes the same hash.
 * - Where oidc-provider or Tessera needs the value back from a record found by something other
 *   than the value — a Session found by its `uid` or account, a DeviceCode by its user code —
 *   the value is kept sealed (AES-256-GCM under a key derived from the key-encryption key), and
 *   an Interaction, whose payload carries the session cookie value, the resume URL and other
 *   artifacts' ids (lib/models/interaction.js), is sealed whole.
 *
 * Grants and replay-detection records are not bearer artifacts (no request presents their id as
 * a credential) and are stored as they are, so revoking by grant id keeps working.
 */
export const PROTECTED_MODELS: ReadonlySet<OidcModelName> = new Set<OidcModelName>([
  'Session',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'Interaction',
  'PushedAuthorizationRequest',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

const SEAL_VERSION = 'v1';
const IV_BYTES = 12;

/** AES-256-GCM for the few values a record must give back; bound to model, record and field. */
export interface RecordSealer {
  seal(plaintext: string, context: string): string;
  /** Throws when the text was sealed under another key or for another context. */
  unseal(sealed: string, context: string): string;
}

export function createRecordSealer(keyEncryptionKey: Buffer): RecordSealer {
  // Its own key, derived with HKDF (RFC 5869), so these ciphertexts and the signing keys'
  // (keys/key-encryption.ts) never share a GCM key and nonce space.
  // A KeyObject once, as login-digest.ts does: given a Buffer, createCipheriv imports it on
  // every call, and node:crypto's check whether a Buffer is a KeyObject throws and catches two
  // errors each time (prepareSecretKey, lib/internal/crypto/keys.js), tens of µs per seal.
  const key = createSecretKey(
    Buffer.from(
      hkdfSync('sha256', keyEncryptionKey, Buffer.alloc(0), 'tessera oidc-model record seal', 32),
    ),
  );
  return {
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [SEAL_VERSION, iv, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    unseal(sealed, context) {
      const [version, iv, ciphertext, tag, extra] = sealed.split('.');
      if (version !== SEAL_VERSION || !iv || ciphertext === undefined || !tag || extra) {
        throw new TypeError('not a sealed record value');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}

/** Payload fields holding sealed text. */
const SEALED_JTI = 'sealedJti';
const SEALED_USER_CODE = 'sealedUserCode';
const SEALED_PAYLOAD = 'sealed';

/** Models found by something other than their value, whose value must come back sealed. */
const FOUND_WITHOUT_VALUE: ReadonlySet<OidcModelName> = new Set<OidcModelName>([
  'Session',
  'DeviceCode',
]);

const contextOf = (model: OidcModelName, key: string, field: string) =>
  `${model}\0${key}\0${field}`;

/** The records of JWT access tokens (jwt-access-token-records.ts): keyed by a `jti` that is no credential. */
const isJwtRecord = (payload: OidcPayload) => payload['format'] === JWT_RECORD_FORMAT;

/** What the store keeps for `payload`, stored under `storageKeyOf(id)`. */
export function protectPayload(
  sealer: RecordSealer,
  model: OidcModelName,
  id: string,
  payload: OidcPayload,
): OidcPayload {
  const key = storageKeyOf(id);
  if (model === 'Interaction') {
    // Only what identifies and times the record stays readable; the rest is sealed.
    const { exp, iat, kind, ...rest } = payload;
    delete rest['jti'];
    return {
      ...(kind === undefined ? {} : { kind }),
      jti: key,
      ...(iat === undefined ? {} : { iat }),
      ...(exp === undefined ? {} : { exp }),
      [SEALED_PAYLOAD]: sealer.seal(JSON.stringify(rest), contextOf(model, key, SEALED_PAYLOAD)),
    };
  }
  if (isJwtRecord(payload)) return payload;
  const stored: Record<string, unknown> = { ...payload };
  if (payload['jti'] !== undefined) stored['jti'] = key;
  if (FOUND_WITHOUT_VALUE.has(model)) {
    stored[SEALED_JTI] = sealer.seal(id, contextOf(model, key, SEALED_JTI));
  }
  if (typeof payload.userCode === 'string') {
    stored['userCode'] = storageKeyOf(payload.userCode);
    stored[SEALED_USER_CODE] = sealer.seal(
      payload.userCode,
      contextOf(model, key, SEALED_USER_CODE),
    );
  }
  return stored;
}

/**
 * The payload oidc-provider stored, from what the store keeps: `id` is the value the record was
 * found by, when it was found by it. A record found otherwise gets its value back from the seal
 * where it has one; elsewhere its `jti` stays the stored hash (removal events read it so).
 */
export function revealPayload(
  sealer: RecordSealer,
  model: OidcModelName,
  stored: OidcPayload,
  id?: string,
): OidcPayload {
  const storedJti = stored['jti'];
  if (model === 'Interaction') {
    const sealed = stored[SEALED_PAYLOAD];
    if (typeof sealed !== 'string' || typeof storedJti !== 'string') return stored;
    const outer: Record<string, unknown> = { ...stored };
    delete outer[SEALED_PAYLOAD];
    const inner = JSON.parse(
      sealer.unseal(sealed, contextOf(model, storedJti, SEALED_PAYLOAD)),
    ) as Record<string, unknown>;
    return { ...inner, ...outer, jti: id ?? storedJti };
  }
  if (isJwtRecord(stored)) return stored;
  const {
    [SEALED_JTI]: sealedJti,
    [SEALED_USER_CODE]: sealedUserCode,
    ...payload
  } = stored as Record<string, unknown>;
  // The context binds each seal to its record: the key is the hash of the value.
  const key = id === undefined ? storedJti : storageKeyOf(id);
  if (storedJti !== undefined && id !== undefined) payload['jti'] = id;
  else if (typeof sealedJti === 'string' && typeof key === 'string') {
    payload['jti'] = sealer.unseal(sealedJti, contextOf(model, key, SEALED_JTI));
  }
  if (typeof sealedUserCode === 'string' && typeof key === 'string') {
    payload['userCode'] = sealer.unseal(sealedUserCode, contextOf(model, key, SEALED_USER_CODE));
  }
  return payload;
}
