import { AppError } from '../services/app-error.ts';

/** A resource's strong entity tag (RFC 9110 section 8.8.3): its version number. */
export const etagFor = (version: number): string => `"${version}"`;

/** The If-Match request header, as every conditional update documents it. */
export const IF_MATCH_HEADER = {
  name: 'If-Match',
  description: 'The ETag of the version being changed (or send `version` in the body)',
};

/** The If-Match request header, as every conditional delete documents it. */
export const IF_MATCH_DELETE_HEADER = {
  name: 'If-Match',
  description:
    'Optional: the ETag of the version being deleted; a changed resource is then kept and 412 answered',
};

const STRONG_VERSION_TAG = /^"(\d{1,15})"$/;

/**
 * The version `If-Match` (RFC 9110 section 13.1.1) names: a number, `'*'` for "any current
 * version", or undefined when the header is absent. A weak or foreign tag can never match under
 * strong comparison: 412. A list of tags is refused (400) rather than matched against.
 */
function versionFromIfMatch(ifMatch: string | undefined): number | '*' | undefined {
  const header = ifMatch?.trim();
  if (!header) return undefined;
  if (header === '*') return '*';
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
  return Number(version);
}

/**
 * The version an update must apply to, from `If-Match` or the body's `version`. One of the two
 * is required (428, RFC 6585 section 3): two admins editing one resource must not silently
 * overwrite each other. `If-Match: *` opts out explicitly and yields undefined.
 */
export function requiredVersion(
  ifMatch: string | undefined,
  bodyVersion: number | undefined,
): number | undefined {
  const fromHeader = versionFromIfMatch(ifMatch);
  if (fromHeader === undefined) {
    if (bodyVersion !== undefined) return bodyVersion;
    throw new AppError(
      'precondition_required',
      'send If-Match with the ETag you read (or "version" in the body) so concurrent changes are not lost',
      { field: 'If-Match' },
    );
  }
  if (fromHeader === '*') return bodyVersion;
  if (bodyVersion !== undefined && bodyVersion !== fromHeader) {
    throw new AppError('validation_failed', 'version and If-Match disagree', { field: 'version' });
  }
  return fromHeader;
}

/** No resource has version 0 (versions start at 1): a tag that can never match asks for it. */
const NO_VERSION = 0;

/**
 * The version a delete must apply to, from an optional `If-Match`: undefined (delete whatever is
 * there) without the header or with `*`. Unlike an update, a delete without one is allowed, as it
 * always was: it overwrites no one's change. Whether the resource exists is decided first (404),
 * a tag that cannot match included, since RFC 9110 section 13.2.1 has a server ignore
 * preconditions when the request would fail without them.
 */
export function deleteVersion(ifMatch: string | undefined): number | undefined {
  let fromHeader: number | '*' | undefined;
  try {
    fromHeader = versionFromIfMatch(ifMatch);
  } catch (error) {
    if (error instanceof AppError && error.code === 'version_mismatch') return NO_VERSION;
    throw error;
  }
  return fromHeader === '*' ? undefined : fromHeader;
}
