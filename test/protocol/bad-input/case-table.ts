import type { HostileRequest, RefusalShape } from '../../helpers/hostile-requests.ts';

/** What the cases need from the running instance. */
export interface Fixture {
  /** Basic credentials of a client-credentials client. */
  readonly auth: string;
  /** client_id of a web application (authorization code). */
  readonly appId: string;
  /** A live interaction: its uid, the browser's cookies for it and a valid CSRF token. */
  readonly uid: string;
  readonly cookie: string;
  readonly csrf: string;
}

/** One hostile input and the shape its refusal must take. Buffers are sent byte for byte. */
export interface Case {
  readonly name: string;
  readonly shape: RefusalShape;
  readonly request: (f: Fixture) => HostileRequest | Buffer;
}

export const refuse = (
  name: string,
  shape: RefusalShape,
  request: (f: Fixture) => HostileRequest | Buffer,
): Case => ({ name, shape, request });

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const JSON_TYPE = { 'content-type': 'application/json' };
/** What a browser sends: oidc-provider renders its error page only when HTML is preferred. */
export const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

export const MEGABYTE = 'a'.repeat(1024 * 1024);
export const HUNDRED_KB = 'b'.repeat(100 * 1024);
export const TEN_K_PARAMS = Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&');

export const base64 = (bytes: string | Buffer): string => Buffer.from(bytes).toString('base64');
