import type { Messages } from './messages/catalog.ts';
import type { Page } from './page-renderer.ts';

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
 * The human error page, for failures of the hosted pages and of oidc-provider's own routes
 * alike: the catalog's sentence for the code, the code itself and the request id for support.
 */
export function errorPage(
  messages: Messages,
  error: {
    readonly code: string;
    readonly status: number;
    readonly sessionNotFound: boolean;
    readonly requestId: string | undefined;
  },
): Page {
  const { code, status, sessionNotFound, requestId } = error;
  return {
    view: 'error',
    status,
    messages,
    formAction: 'none',
    data: {
      code,
      message: errorMessageFor(messages, code, { sessionNotFound, status }),
      requestId,
    },
  };
}
