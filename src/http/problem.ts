import type { AppErrorCode } from '../services/app-error.ts';

export const PROBLEM_STATUS: Record<AppErrorCode, number> = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  version_mismatch: 412,
  store_unavailable: 503,
};

const TITLES: Record<AppErrorCode, string> = {
  validation_failed: 'Invalid request',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  version_mismatch: 'Version mismatch',
  store_unavailable: 'Temporarily unavailable',
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
    title: TITLES[code],
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
