import type Provider from 'oidc-provider';

import type { OidcModelName } from '../ports/oidc-models.ts';

/**
 * Opaque token values that say which model they belong to: `at~…` (AccessToken), `cc~…`
 * (ClientCredentials), `rt~…` (RefreshToken), the rest oidc-provider's random id. Introspection
 * and revocation look a value up in every token model at once (oidc-provider
 * lib/helpers/token_find.js); with the tag, the models it cannot belong to answer without a store
 * round trip, so introspecting a token costs one lookup instead of two or three.
 *
 * `~` is outside the alphabet of oidc-provider's ids (nanoid: A–Z a–z 0–9 _ -), so no untagged
 * value — one issued before tags existed — can look tagged: those are still looked up in every
 * model. `~` is allowed in bearer tokens (RFC 6750 section 2.1) and needs no escaping in forms.
 */
const TAGS = {
  AccessToken: 'at',
  ClientCredentials: 'cc',
  RefreshToken: 'rt',
} as const satisfies Partial<Record<OidcModelName, string>>;

const KNOWN_TAGS: ReadonlySet<string> = new Set(Object.values(TAGS));
const SEPARATOR = '~';
const TAGGED = /^([a-z]{2})~/;

export type TaggedModel = keyof typeof TAGS;

const isTaggedModel = (model: OidcModelName): model is TaggedModel => model in TAGS;

/** True when `id` carries another model's tag, so it cannot be a `model` record. */
export function belongsToAnotherModel(model: OidcModelName, id: string): boolean {
  if (!isTaggedModel(model)) return false;
  const tag = TAGGED.exec(id)?.[1];
  return tag !== undefined && tag !== TAGS[model] && KNOWN_TAGS.has(tag);
}

/**
 * The model a token id's tag names, undefined for an untagged one. JWT access tokens carry the
 * tag in their `jti`: oidc-provider's JWT format takes its id from the same generateTokenId
 * (lib/models/formats/index.js), so `at~…` is a user's token (AccessToken, bound to a grant) and
 * `cc~…` a client-credentials one.
 */
export function taggedModelOf(id: string): TaggedModel | undefined {
  const tag = TAGGED.exec(id)?.[1];
  return (Object.keys(TAGS) as TaggedModel[]).find((model) => TAGS[model] === tag);
}

/** Makes the provider's access, client-credentials and refresh token ids tagged. */
export function installTokenKindTags(provider: Provider): void {
  for (const model of Object.keys(TAGS) as TaggedModel[]) {
    const prototype = provider[model].prototype as unknown as {
      generateTokenId: (this: object) => string;
    };
    // oidc-provider's own generator (lib/models/formats, per format) makes the random part.
    const generate = prototype.generateTokenId;
    prototype.generateTokenId = function generateTaggedTokenId(this: object) {
      return `${TAGS[model]}${SEPARATOR}${generate.call(this)}`;
    };
  }
}
