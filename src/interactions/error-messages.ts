import type { Messages } from './messages/catalog.ts';
import type { Page } from './page-renderer.ts';

/** Which journey failed: the page's title and heading name it. */
export type ErrorFlow = 'sign-in' | 'sign-out';

/**
 * RP-initiated logout's paths (/session/end, its /confirm and /success) fail as a sign-out;
 * every other as a sign-in. By path, matched in any case as oidc-provider's router matches,
 * so a request no route matched (a wrong method there) reads the same.
 */
export const errorFlowOf = (path: string): ErrorFlow =>
  /^\/session\/end(?:\/|$)/i.test(path) ? 'sign-out' : 'sign-in';

interface ErrorDetails {
  readonly code: string;
  readonly status: number;
  readonly sessionNotFound: boolean;
  readonly requestId: string | undefined;
  /** Default 'sign-in'. */
  readonly flow?: ErrorFlow;
  /**
   * oidc-provider's error_description: only matched against, to pick a sentence, never shown
   * (it may name internals).
   */
  readonly description?: string | undefined;
}

/**
 * What the human error page says for an error code: a sentence from the catalog, never the
 * error's description (which may name internals). The code itself is shown for support.
 */
function errorMessageFor(
  messages: Messages,
  code: string,
  options: { sessionNotFound?: boolean; status?: number } = {},
): string {
  if (options.sessionNotFound) return messages.error.sessionExpired;
  switch (code) {
    case 'access_denied':
      return messages.error.accessDenied;
    case 'csrf_failed':
      return messages.error.formExpired;
    case 'cross_site_request':
      return messages.error.crossSite;
    case 'not_found':
      return messages.error.notFound;
    case 'temporarily_unavailable':
      return messages.error.unavailable;
    case 'server_error':
      return messages.error.internal;
    default:
      if (options.status === 404) return messages.error.notFound;
      return (options.status ?? 400) >= 500 ? messages.error.internal : messages.error.badRequest;
  }
}

/**
 * What the page says when RP-initiated logout (/session/end and its confirmation) fails. The
 * refusals come from oidc-provider's lib/actions/end_session.js and lib/shared/xsrf.js, all
 * `invalid_request` or `invalid_client`; their descriptions tell them apart.
 */
function signOutMessageFor(messages: Messages, details: ErrorDetails): string {
  const { code, status } = details;
  const description = details.description ?? '';
  const m = messages.signOutError;
  if (status >= 500 || code === 'temporarily_unavailable' || code === 'cross_site_request') {
    return errorMessageFor(messages, code, { status });
  }
  // 'post_logout_redirect_uri not registered'
  if (description.includes('post_logout_redirect_uri')) return m.unregisteredRedirect;
  // 'could not decode id_token_hint', 'could not validate id_token_hint', 'unrecognized
  // id_token_hint audience', 'client_id does not match the provided id_token_hint'
  if (description.includes('id_token_hint')) return m.invalidHint;
  if (code === 'invalid_client') return m.unknownClient;
  // 'xsrf token invalid', 'could not find logout details'
  if (description.includes('xsrf') || description.includes('logout details')) return m.formExpired;
  return m.badRequest;
}

/**
 * The human error page, for failures of the hosted pages and of oidc-provider's own routes
 * alike: the catalog's sentence for the code, the code itself and the request id for support.
 */
export function errorPage(messages: Messages, error: ErrorDetails): Page {
  const { code, status, sessionNotFound, requestId } = error;
  const signOut = error.flow === 'sign-out';
  return {
    view: 'error',
    status,
    messages,
    formAction: 'none',
    data: {
      title: signOut ? messages.signOutError.title : messages.error.title,
      heading: signOut ? messages.signOutError.heading : messages.error.heading,
      code,
      message: signOut
        ? signOutMessageFor(messages, error)
        : errorMessageFor(messages, code, { sessionNotFound, status }),
      requestId,
    },
  };
}
