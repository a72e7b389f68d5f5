/**
 * `tessera/events`: what a resource server consuming Tessera's events and tokens imports
 * (docs/events.md "Consuming events", docs/protocol.md "DPoP (sender-constrained tokens)"). It
 * parses and validates messages against the same schema Tessera produces with, keeps a deny-list
 * of revoked tokens, and checks the DPoP proofs that come with DPoP-bound access tokens. It does
 * not talk to Kafka itself: use any client (examples/revocation-consumer.ts uses kafkajs).
 */
import { tesseraEventSchema, type TesseraEvent } from './event-schema.ts';

export {
  CLOUDEVENTS_CONTENT_TYPE,
  tesseraEventSchema,
  type TesseraEvent,
  type TesseraEventOf,
} from './event-schema.ts';
export { EVENT_TYPES, type EventType } from './event-types.ts';
export {
  createDpopProofVerifier,
  DpopProofError,
  normalizeHtu,
  readDpopAuthorization,
  type DpopErrorCode,
  type DpopProofVerifier,
  type DpopProofVerifierOptions,
  type DpopRequest,
  type VerifiedDpopProof,
} from './dpop-proof-verifier.ts';
export {
  createRevocationList,
  type AccessTokenClaims,
  type RevocationList,
  type RevocationListOptions,
} from './revocation-list.ts';

/** A message that is not a Tessera event this version understands. */
export class TesseraEventError extends Error {
  override readonly name = 'TesseraEventError';
}

/**
 * Parses a Kafka message value (the CloudEvent JSON, structured mode; a Buffer is a Uint8Array)
 * into a validated event.
 * Fields a newer Tessera added are dropped; an unknown `type` or a malformed event throws
 * TesseraEventError.
 */
export function parseTesseraEvent(value: Uint8Array | string | null): TesseraEvent {
  if (value === null) throw new TesseraEventError('the message has no value');
  let json: unknown;
  try {
    json = JSON.parse(typeof value === 'string' ? value : new TextDecoder().decode(value));
  } catch {
    throw new TesseraEventError('the message value is not JSON');
  }
  const result = tesseraEventSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new TesseraEventError(
      `not a Tessera event: ${issue?.path.join('.') || 'event'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return result.data;
}

/** parseTesseraEvent, returning undefined instead of throwing: for a consumer loop to skip on. */
export function tryParseTesseraEvent(value: Uint8Array | string | null): TesseraEvent | undefined {
  try {
    return parseTesseraEvent(value);
  } catch (error) {
    if (error instanceof TesseraEventError) return undefined;
    throw error;
  }
}
