import type { Context } from 'koa';
import { errors } from 'oidc-provider';

import { PROBLEM_STATUS } from '../http/problem.ts';
import { StoreUnavailableError } from '../ports/storage.ts';
import { AppError } from '../services/app-error.ts';
import { errorPage } from './error-messages.ts';
import { FormBodyError } from './form-body.ts';
import { selectMessages } from './messages/catalog.ts';
import type { PageRenderer } from './page-renderer.ts';

/** A refusal shown on the error page: a status and an error code for the catalog. */
export class PageError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string) {
    super(code);
    this.status = status;
    this.code = code;
  }
}

/** Shows what went wrong on the error page, with the status it maps to; 5xx are logged. */
export function renderFailure(ctx: Context, pages: PageRenderer, error: unknown): void {
  const messages = selectMessages(undefined, ctx.get('accept-language'));
  let status = 500;
  let code = 'server_error';
  let sessionNotFound = false;
  if (error instanceof PageError) {
    ({ status, code } = error);
  } else if (error instanceof AppError && PROBLEM_STATUS[error.code] < 500) {
    status = PROBLEM_STATUS[error.code];
    code = error.code;
  } else if (error instanceof FormBodyError) {
    ({ status } = error);
    code = 'invalid_request';
  } else if (error instanceof errors.SessionNotFound) {
    status = 400;
    code = 'invalid_request';
    sessionNotFound = true;
  } else if (
    error instanceof StoreUnavailableError ||
    (error instanceof errors.OIDCProviderError && error.statusCode === 503)
  ) {
    status = 503;
    code = 'temporarily_unavailable';
  } else if (error instanceof errors.OIDCProviderError && error.statusCode < 500) {
    status = error.statusCode;
    code = error.error;
  }
  if (status >= 500) ctx.state.log.error({ err: error }, 'interaction failed');
  else ctx.state.log.info({ code, reason: (error as Error).message }, 'interaction refused');
  pages.render(
    ctx,
    errorPage(messages, { code, status, sessionNotFound, requestId: ctx.state.requestId }),
  );
}
