import { describe, expect, it } from 'vitest';

import { planKeycloakImport } from '../../src/cli/keycloak/keycloak-mapping.ts';
import { keycloakRealmSchema, type KeycloakRealm } from '../../src/cli/keycloak/keycloak-realm.ts';

const AUDIENCE = 'urn:keycloak:realm:r';
const realmOf = (realm: Record<string, unknown>): KeycloakRealm =>
  keycloakRealmSchema.parse({ realm: 'r', ...realm });
const planOf = (realm: Record<string, unknown>) =>
  planKeycloakImport(realmOf({ users: [], ...realm }), AUDIENCE);

const password = (credentialData: unknown, secret = { value: 'aGFzaGhhc2hoYXNoaGFzaA==' }) => ({
  type: 'password',
  secretData: JSON.stringify({ salt: 'c2FsdHNhbHRzYWx0c2FsdA==', ...secret }),
  credentialData: JSON.stringify(credentialData),
});

describe('the plan of a Keycloak realm import', () => {
  it('keeps exact redirect URIs and reports wildcard and relative ones', () => {
    const plan = planOf({
      clients: [
        {
          clientId: 'web',
          publicClient: true,
          redirectUris: ['https://a.example/cb', 'https://a.example/*', '/relative'],
          attributes: { 'post.logout.redirect.uris': '+##https://a.example/bye' },
        },
      ],
    });
    expect(plan.clients[0]?.body).toMatchObject({
      redirect_uris: ['https://a.example/cb'],
      post_logout_redirect_uris: ['https://a.example/cb', 'https://a.example/bye'],
    });
    expect(plan.notCarried).toEqual([
      'client web: redirect URI https://a.example/* (not an exact absolute URI)',
      'client web: redirect URI /relative (not an exact absolute URI)',
    ]);
  });

  it('leaves a masked secret out, so that Tessera makes a new one, and says so', () => {
    const plan = planOf({
      clients: [
        {
          clientId: 'masked',
          secret: '**********',
          standardFlowEnabled: false,
          serviceAccountsEnabled: true,
        },
      ],
    });
    expect(plan.clients[0]?.body).not.toHaveProperty('client_secret');
    expect(plan.notCarried).toEqual([
      'client masked: its secret (not in the export; a new one is made)',
    ]);
  });

  it('says so when the file holds no users, as a partial export from the admin console', () => {
    expect(planKeycloakImport(realmOf({}), AUDIENCE).notCarried).toEqual([
      'users: the file has none (export them with kc.sh export --users same_file)',
    ]);
    expect(planOf({ users: [] }).notCarried).toEqual([]);
  });

  it('does not import SAML, bearer-only or disabled clients, and says why', () => {
    const plan = planOf({
      clients: [
        { clientId: 'saml-app', protocol: 'saml' },
        { clientId: 'api', bearerOnly: true },
        { clientId: 'old', enabled: false },
        { clientId: 'account' },
      ],
    });
    expect(plan.clients).toEqual([]);
    expect(plan.notCarried).toEqual([
      'client saml-app: saml clients are not supported; client not imported',
      'client api: bearer-only clients have no equivalent; client not imported',
      'client old: disabled in Keycloak; client not imported',
    ]);
  });

  it('reports the grants Tessera does not offer and maps the authentication methods', () => {
    const plan = planOf({
      clients: [
        {
          clientId: 'legacy',
          secret: 'a-secret-of-enough-length',
          clientAuthenticatorType: 'client-secret-jwt',
          directAccessGrantsEnabled: true,
          implicitFlowEnabled: true,
          redirectUris: ['https://l.example/cb'],
        },
        {
          clientId: 'signed',
          standardFlowEnabled: false,
          serviceAccountsEnabled: true,
          clientAuthenticatorType: 'client-jwt',
          attributes: { 'use.jwks.url': 'true', 'jwks.url': 'https://s.example/jwks' },
        },
        { clientId: 'x509', clientAuthenticatorType: 'client-x509' },
      ],
    });
    expect(plan.clients.map((client) => client.body)).toEqual([
      expect.objectContaining({
        client_id: 'legacy',
        token_endpoint_auth_method: 'client_secret_basic',
        client_secret: 'a-secret-of-enough-length',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
      expect.objectContaining({
        client_id: 'signed',
        token_endpoint_auth_method: 'private_key_jwt',
        jwks_uri: 'https://s.example/jwks',
        grant_types: ['client_credentials'],
      }),
    ]);
    expect(plan.notCarried).toEqual([
      'client legacy: implicit flow',
      'client legacy: direct access grants (password grant)',
      'client legacy: client-secret-jwt authentication becomes client_secret_basic',
      'client x509: client-x509 authentication has no equivalent; client not imported',
    ]);
  });

  it('imports users without a usable password when their hash is not verifiable, saying why', () => {
    const plan = planOf({
      users: [
        {
          username: 'old-argon',
          credentials: [
            password({
              hashIterations: 3,
              algorithm: 'argon2',
              additionalParameters: { type: ['id'], version: ['1.0'], memory: ['7168'] },
            }),
          ],
        },
        {
          username: 'too-costly',
          credentials: [password({ hashIterations: 50_000_000, algorithm: 'pbkdf2-sha256' })],
        },
        { username: 'broken', credentials: [{ type: 'password', secretData: '{not json' }] },
        { username: 'service-account-worker', serviceAccountClientId: 'worker' },
      ],
    });
    expect(plan.users.map((user) => [user.username, user.body.password_hash])).toEqual([
      ['old-argon', null],
      ['too-costly', null],
      ['broken', null],
    ]);
    expect(plan.notCarried).toEqual([
      'user old-argon: an argon2 hash of type id version 1.0, which Tessera cannot verify; imported without a usable password',
      'user too-costly: a password hash Tessera does not accept (password_hash.iterations must be an integer from 1000 to 1000000); imported without a usable password',
      'user broken: a password credential that cannot be read; imported without a usable password',
    ]);
  });

  it('reports other credentials, required actions, roles, groups and identity links per user', () => {
    const plan = planOf({
      users: [
        {
          username: 'ann',
          credentials: [
            password({ hashIterations: 27_500, algorithm: 'pbkdf2-sha256' }),
            { type: 'otp' },
          ],
          requiredActions: ['UPDATE_PASSWORD'],
          realmRoles: ['default-roles-r', 'offline_access', 'admin'],
          clientRoles: { web: ['editor'], account: ['manage-account'] },
          groups: ['/staff'],
          federatedIdentities: [{ identityProvider: 'github' }],
        },
      ],
    });
    expect(plan.users[0]?.body.password_hash).toMatchObject({
      algorithm: 'pbkdf2-sha256',
      iterations: 27_500,
    });
    expect(plan.notCarried).toEqual([
      'user ann: roles admin, web/editor',
      'user ann: groups /staff',
      'user ann: otp credential',
      'user ann: required actions UPDATE_PASSWORD',
      'user ann: link to identity provider github',
    ]);
  });
});
