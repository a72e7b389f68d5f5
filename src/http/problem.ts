import type { AppErrorCode } from '../services/app-error.ts';

export const PROBLEM_STATUS: Record<AppErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_mismatch: 412,
  precondition_required: 428,
  unsupported_media_type: 415,
  payload_too_large: 413,
  method_not_allowed: 405,
  store_unavailable: 503,
  temporarily_unavailable: 503,
};

export const PROBLEM_TITLES: Record<AppErrorCode, string> = {
  validation_failed: 'Invalid request',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  version_mismatch: 'Version mismatch',
  precondition_required: 'Precondition required',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  method_not_allowed: 'Method not allowed',
  store_unavailable: 'Temporarily unavailable',
  temporarily_unavailable: 'Temporarily unavailable',
};

/** An RFC 9457 problem details body. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: AppErrorCode | 'internal_error';
  readonly field?: string;
}

export function problemFor(code: AppErrorCode, detail: string, field?: string): Problem {
  return {
    type: `urn:tessera:problem:${code}`,
    title: PROBLEM_TITLES[code],
    status: PROBLEM_STATUS[code],
    detail,
    code,
    ...(field === undefined ? {} : { field }),
  };
}

export const INTERNAL_PROBLEM: Problem = {
  type: 'urn:tessera:problem:internal_error',
  title: 'Internal error',
  status: 500,
  detail: 'an internal error occurred; the request id identifies it in the logs',
  code: 'internal_error',
};
