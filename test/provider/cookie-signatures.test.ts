import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { createCookieSigner } from '../../src/provider/cookie-signatures.ts';
import { signedCookie } from '../helpers/signed-cookies.ts';

const newKey = () => randomBytes(32).toString('base64url');

/** The `.sig` value signedCookie (keygrip's format) gives `name=value` under `key`. */
const keygripSignature = (name: string, value: string, key: string) =>
  signedCookie(name, value, key).split(`${name}.sig=`)[1] as string;

describe('cookie signatures', () => {
  it('signs name=value as keygrip does, so cookies set before and after verify alike', () => {
    const key = newKey();
    const signer = createCookieSigner([key]);
    const signature = keygripSignature('_session', 'abc', key);
    expect(signer.sign('_session=abc')).toBe(signature);
    expect(signer.verify('_session=abc', signature)).toBe(true);
  });

  it('signs with the first key and still verifies what an older key signed, naming it', () => {
    const [current, older] = [newKey(), newKey()];
    const signer = createCookieSigner([current, older]);
    expect(signer.sign('_interaction=x')).toBe(keygripSignature('_interaction', 'x', current));
    expect(signer.index('_interaction=x', keygripSignature('_interaction', 'x', older))).toBe(1);
    expect(signer.index('_interaction=x', keygripSignature('_interaction', 'x', current))).toBe(0);
  });

  it('refuses a signature under another key, for other data, altered, or of another length', () => {
    const key = newKey();
    const signer = createCookieSigner([key]);
    const signature = signer.sign('_session=abc');
    expect(signer.index('_session=abc', keygripSignature('_session', 'abc', newKey()))).toBe(-1);
    expect(signer.verify('_session=abd', signature)).toBe(false);
    const altered = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    expect(signer.verify('_session=abc', altered)).toBe(false);
    expect(signer.verify('_session=abc', signature.slice(1))).toBe(false);
    expect(signer.verify('_session=abc', '')).toBe(false);
  });

  it('needs a key', () => {
    expect(() => createCookieSigner([])).toThrow(/at least one key/);
  });
});
