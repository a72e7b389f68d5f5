/** Tessera's own (non-protocol) error codes; one middleware maps each to an HTTP status. */
export type AppErrorCode =
  | 'validation_failed'
  | 'not_found'
  | 'conflict'
  | 'version_mismatch'
  | 'precondition_required'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'method_not_allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'store_unavailable'
  | 'temporarily_unavailable';

/**
 * An error whose message is safe to show the caller. `field` names the offending input, when
 * there is one (RFC 9457 problem details carry it to admin clients).
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: AppErrorCode;
  readonly field: string | undefined;

  constructor(code: AppErrorCode, message: string, options?: { field?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options?.field;
  }
}
