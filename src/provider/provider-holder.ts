import type { IncomingMessage, ServerResponse } from 'node:http';

import type Provider from 'oidc-provider';

import type { SigningKeyRing } from '../../keys/signing-key-ring.ts';

/** One built oidc-provider instance together with the keys it was built with. */
export interface ProviderInstance {
  readonly provider: Provider;
  readonly keyRing: SigningKeyRing;
  /** The provider's Node request handler, built once per instance. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Holds the oidc-provider instance requests are served by. Replacing it (new signing keys) does
 * not disturb requests already running: each request captured its instance when it started.
 */
export interface ProviderHolder {
  current(): ProviderInstance;
  replace(next: ProviderInstance): void;
}

export function wrapProvider(provider: Provider, keyRing: SigningKeyRing): ProviderInstance {
  const callback = provider.callback() as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>;
  return { provider, keyRing, handle: (req, res) => callback(req, res) };
}

export function createProviderHolder(initial: ProviderInstance): ProviderHolder {
  let instance = initial;
  return {
    current: () => instance,
    replace(next) {
      instance = next;
    },
  };
}
