import { errors } from 'oidc-provider';

import { StoreUnavailableError } from '../ports/storage.ts';

/**
 * 503 with an OAuth error body, for when the store cannot be reached. oidc-provider's error
 * handler renders any error with `expose` and `statusCode` as `{ error, error_description }`
 * (lib/shared/error_handler.js, lib/helpers/err_out.js).
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(options?: { cause?: unknown }) {
    super(503, 'temporarily_unavailable', options);
    this.error_description = 'the service is temporarily unavailable, retry shortly';
    this.expose = true;
  }
}

/** Runs a store call, turning "store unreachable" into the protocol's 503. */
export async function withStoreErrors<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof StoreUnavailableError) throw new TemporarilyUnavailable({ cause: error });
    throw error;
  }
}
