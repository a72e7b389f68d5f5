import { describe, expect, it } from 'vitest';

import { applyConsent, describePermissions } from '../../src/interactions/consent.ts';
import { contentSecurityPolicy, sourceOf } from '../../src/interactions/content-security-policy.ts';
import { createCsrfGuard } from '../../src/interactions/csrf.ts';
import { en } from '../../src/interactions/messages/en.ts';
import { formatMessage, selectMessages } from '../../src/interactions/messages/catalog.ts';
import { ALLOWED_SCOPES_PROPERTY } from '../../src/provider/client-metadata.ts';

describe('content security policy', () => {
  it('allows scripts only by nonce and forbids framing', () => {
    expect(contentSecurityPolicy({ nonce: 'abc', formAction: 'none' })).toBe(
      "default-src 'none'; script-src 'nonce-abc'; style-src 'self'; img-src 'self'; " +
        "connect-src 'self'; " +
        "base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
  });

  it('lets forms post to Tessera and the given origins, once each', () => {
    expect(
      contentSecurityPolicy({
        nonce: 'n',
        formAction: ['https://app.example', 'https://app.example'],
      }),
    ).toMatch(/; form-action 'self' https:\/\/app\.example$/);
  });

  it('leaves form-action out when no form policy is given', () => {
    expect(contentSecurityPolicy({ nonce: 'n' })).not.toContain('form-action');
  });

  it.each([
    ['https://app.example.com/cb?x=1', 'https://app.example.com'],
    ['http://127.0.0.1:8080/cb', 'http://127.0.0.1:8080'],
    ['com.example.app:/oauth2redirect', 'com.example.app:'],
    ['not a uri', undefined],
    [undefined, undefined],
  ])('turns the redirect URI %s into the source %s', (uri, source) => {
    expect(sourceOf(uri)).toBe(source);
  });
});

describe('message catalog', () => {
  it('falls back to English for languages it does not have', () => {
    expect(selectMessages('fr-CA de', 'es;q=0.9, it;q=0.8')).toBe(en);
  });

  it('picks English from ui_locales or Accept-Language by primary subtag', () => {
    expect(selectMessages('en-GB', undefined)).toBe(en);
    expect(selectMessages(undefined, 'fr;q=0.9, en-US;q=0.8')).toBe(en);
  });

  it('fills named placeholders and leaves unknown ones', () => {
    expect(formatMessage('{client} wants {what}', { client: 'App' })).toBe('App wants {what}');
  });
});

describe('consent', () => {
  const client = { [ALLOWED_SCOPES_PROPERTY]: 'openid profile photos:read' };

  function recordingGrant() {
    const calls: [string, ...unknown[]][] = [];
    const record =
      (name: string) =>
      (...args: unknown[]) => {
        calls.push([name, ...args]);
      };
    return {
      calls,
      grant: {
        addOIDCScope: record('addOIDCScope'),
        rejectOIDCScope: record('rejectOIDCScope'),
        addOIDCClaims: record('addOIDCClaims'),
        addResourceScope: record('addResourceScope'),
        rejectResourceScope: record('rejectResourceScope'),
      },
    };
  }

  it('grants only allowed scopes and rejects the rest, tessera:admin included', () => {
    const { grant, calls } = recordingGrant();
    applyConsent(grant as never, client, {
      missingOIDCScope: ['openid', 'profile', 'email', 'tessera:admin'],
      missingResourceScopes: { 'https://photos.example/': ['photos:read', 'photos:delete'] },
    });
    expect(calls).toEqual([
      ['addOIDCScope', 'openid profile'],
      ['rejectOIDCScope', 'email tessera:admin'],
      ['addResourceScope', 'https://photos.example/', 'photos:read'],
      ['rejectResourceScope', 'https://photos.example/', 'photos:delete'],
    ]);
  });

  it('describes only the permissions consent would grant', () => {
    expect(
      describePermissions(en, client, {
        missingOIDCScope: ['openid', 'email', 'tessera:admin'],
        missingResourceScopes: { 'https://photos.example/': ['photos:read'] },
      }),
    ).toEqual([
      'Confirm who you are',
      'Use the permission “photos:read” at https://photos.example/',
    ]);
  });
});

describe('CSRF tokens', () => {
  /** Just enough of a Koa context: a cookie jar the guard reads and writes. */
  function browser() {
    const jar = new Map<string, string>();
    return {
      cookies: { get: (name: string) => jar.get(name) },
      append(_header: string, line: string) {
        const [pair = ''] = line.split(';');
        const [name = '', value = ''] = pair.split('=');
        jar.set(name, value);
      },
    } as never;
  }
  const KEY_A = 'a'.repeat(32);
  const KEY_B = 'b'.repeat(32);

  it('accepts the token of this browser and interaction only', () => {
    const guard = createCsrfGuard({ keys: [KEY_A], https: false });
    const mine = browser();
    const token = guard.tokenFor(mine, 'uid-1');
    expect(guard.verify(mine, 'uid-1', token)).toBe(true);
    expect(guard.verify(mine, 'uid-2', token)).toBe(false);
    expect(guard.verify(browser(), 'uid-1', token)).toBe(false);
    expect(guard.verify(mine, 'uid-1', undefined)).toBe(false);
  });

  it('still accepts a token signed with the previous first cookie key after a rotation', () => {
    const ctx = browser();
    const token = createCsrfGuard({ keys: [KEY_A], https: false }).tokenFor(ctx, 'uid-1');
    expect(
      createCsrfGuard({ keys: [KEY_B, KEY_A], https: false }).verify(ctx, 'uid-1', token),
    ).toBe(true);
    expect(createCsrfGuard({ keys: [KEY_B], https: false }).verify(ctx, 'uid-1', token)).toBe(
      false,
    );
  });
});
