import { generateSecret, generateURI, verify } from 'otplib';

/**
 * RFC 6238 TOTP with the parameters every authenticator app accepts (HMAC-SHA-1, 6 digits,
 * 30-second steps; otplib's README "Configuration Defaults"). The secret is 20 random bytes
 * (RFC 4226 section 4 R6 asks for at least 128 bits, recommends 160), in base32 as the
 * `otpauth://` URI carries it.
 */
export const TOTP_PERIOD_SECONDS = 30;

/** A fresh base32 secret. */
export const newTotpSecret = (): string => generateSecret({ length: 20 });

/** The `otpauth://totp/...` URI an authenticator app reads from the QR code. */
export const totpUri = (secret: string, issuer: string, label: string): string =>
  generateURI({ issuer, label, secret, period: TOTP_PERIOD_SECONDS });

const CODE = /^\d{6}$/;

/**
 * The RFC 6238 time step a code is valid at, within one step either side of now (section 5.2
 * allows a step of clock drift each way), and after `afterStep` (the step last accepted), so a
 * code is accepted once. Undefined when it is no code of that window.
 */
export async function acceptedStep(
  secret: string,
  code: string,
  nowMs: number,
  afterStep: number,
): Promise<number | undefined> {
  const token = code.replace(/\s/g, '');
  if (!CODE.test(token)) return undefined;
  const epoch = Math.floor(nowMs / 1000);
  const currentStep = Math.floor(epoch / TOTP_PERIOD_SECONDS);
  const result = await verify({
    secret,
    token,
    epoch,
    period: TOTP_PERIOD_SECONDS,
    epochTolerance: TOTP_PERIOD_SECONDS,
    // otplib refuses a floor beyond the window; a floor at or past the window accepts nothing.
    ...(afterStep > 0 && afterStep < currentStep + 1 ? { afterTimeStep: afterStep } : {}),
  });
  if (!result.valid || !('timeStep' in result)) return undefined;
  return result.timeStep > afterStep ? result.timeStep : undefined;
}
