import type Provider from 'oidc-provider';

import type { OidcModelStore } from '../ports/oidc-models.ts';
import { withStoreErrors } from './protocol-errors.ts';

interface PushedRequest {
  readonly isValid: boolean;
  // A function-valued property rather than a method: the original is kept and called on `this`.
  consume: (this: PushedRequest) => Promise<void>;
  emit(eventName: string): void;
}

interface PushedRequestModel {
  find(id: unknown, options?: { ignoreExpiration?: boolean }): Promise<PushedRequest | undefined>;
  readonly prototype: PushedRequest;
}

/**
 * A pushed authorization request's `request_uri` works once (RFC 9126 section 4: the
 * authorization server SHOULD make it one-time use); another presentation, even within its
 * lifetime, gets oidc-provider's own `invalid_request_uri`.
 *
 * oidc-provider 9 spends a pushed request only when the authorization completes
 * (node_modules/oidc-provider/lib/actions/authorization/respond.js: a check of `consumed`, then
 * `consume()`), so until someone signs in the same `request_uri` starts as many sign-ins as it
 * is presented. Here every `find` that returns a live pushed request spends it, which happens
 * where oidc-provider reads it at the authorization endpoint (loadPushedAuthorizationRequest in
 * lib/actions/authorization/pushed_authorization_requests.js): the store's atomic consume picks
 * the one request that goes on, so two concurrent presentations cannot both start a sign-in,
 * and whoever loses is answered as if the request were unknown. The record is then removed:
 * what the sign-in needs is already in oidc-provider's Interaction (its `params`, taken after
 * the pushed request was merged in, lib/actions/authorization/interactions.js), and respond.js,
 * looking the request up again by the interaction's `parJti` when the sign-in resumes, finds
 * nothing and goes on. The winner's own `consume()` at respond.js (a request answered without
 * any interaction) only reports the event: the store already spent it.
 */
export function installSingleUseRequestUris(provider: Provider, models: OidcModelStore): void {
  const model = provider.PushedAuthorizationRequest as unknown as PushedRequestModel;
  const find = model.find.bind(model);
  const spent = new WeakSet<PushedRequest>();

  model.find = async (id, options) => {
    const pushed = await find(id, options);
    if (typeof id !== 'string' || !pushed?.isValid) return pushed;
    const won = await withStoreErrors(() => models.consume('PushedAuthorizationRequest', id));
    if (!won) return undefined;
    await withStoreErrors(() => models.destroy('PushedAuthorizationRequest', id));
    spent.add(pushed);
    return pushed;
  };

  const { consume } = model.prototype;
  model.prototype.consume = function consumeOnce(this: PushedRequest) {
    if (!spent.has(this)) return consume.call(this);
    this.emit('consumed');
    return Promise.resolve();
  };
}
