import QRCode from 'qrcode';

/**
 * The QR code an authenticator app scans for an `otpauth://` URI, drawn here as SVG markup put
 * in the page itself: nothing is fetched, so the page's CSP (`img-src 'self'`) needs no change
 * and the secret never leaves in a URL.
 */
export const totpQrSvg = (uri: string): Promise<string> =>
  QRCode.toString(uri, { type: 'svg', margin: 1 });
