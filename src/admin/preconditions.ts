import { AppError } from '../services/app-error.ts';

/** A resource's strong entity tag (RFC 9110 section 8.8.3): its version number. */
export const etagFor = (version: number): string => `"${version}"`;

/** The If-Match request header, as every conditional update documents it. */
export const IF_MATCH_HEADER = {
  name: 'If-Match',
  description: 'The ETag of the version being changed (or send `version` in the body)',
};

const STRONG_VERSION_TAG = /^"(\d{1,15})"$/;

/**
 * The version an update must apply to, from `If-Match` (RFC 9110 section 13.1.1) or the body's
 * `version`. One of the two is required (428, RFC 6585 section 3): two admins editing one
 * resource must not silently overwrite each other. `If-Match: *` opts out explicitly and
 * yields undefined. A weak or foreign tag can never match under strong comparison: 412.
 */
export function requiredVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
): number | undefined {
  const header = ifMatch?.trim();
  if (!header) {
    if (bodyVersion !== undefined) return bodyVersion;
    throw new AppError(
      'precondition_required',
      'send If-Match with the ETag you read (or "version" in the body) so concurrent changes are not lost',
      { field: 'If-Match' },
    );
  }
  if (header === '*') return bodyVersion;
  const tags = header.split(',').map((tag) => tag.trim());
  if (tags.length > 1) {
    throw new AppError('validation_failed', 'If-Match must carry exactly one entity tag', {
      field: 'If-Match',
    });
  }
  const version = STRONG_VERSION_TAG.exec(tags[0] ?? '')?.[1];
  if (version === undefined) {
    throw new AppError('version_mismatch', `If-Match ${header} does not match the current ETag`);
  }
  const fromHeader = Number(version);
  if (bodyVersion !== undefined && bodyVersion !== fromHeader) {
    throw new AppError('validation_failed', 'version and If-Match disagree', { field: 'version' });
  }
  return fromHeader;
}
