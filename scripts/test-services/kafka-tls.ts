import { randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { runCommand } from './process.ts';

/** Files a test broker's TLS listener and its clients need. */
export interface KafkaTlsFiles {
  /** PEM of the throwaway CA: what a client passes as its only trusted root. */
  caFile: string;
  /**
   * The broker's PKCS#8 private key followed by its certificate chain, in one PEM file: what
   * Kafka reads with `ssl.keystore.type=PEM` and `ssl.keystore.location` (KIP-651).
   */
  keystoreFile: string;
}

const OPENSSL = process.env['OPENSSL'] ?? 'openssl';
/** The test run, plus a restart or two: the certificates never need to outlive it. */
const VALID_DAYS = '7';

/**
 * Creates a CA and a broker certificate for 127.0.0.1 (and localhost) under `dir`, once: a
 * restarted broker reuses the files, so clients holding the CA keep trusting it.
 *
 * EC P-256 keys take milliseconds to generate, so a fresh CA per broker costs nothing.
 */
export async function ensureKafkaTlsFiles(dir: string): Promise<KafkaTlsFiles> {
  const files: KafkaTlsFiles = {
    caFile: join(dir, 'ca.pem'),
    keystoreFile: join(dir, 'broker-keystore.pem'),
  };
  if (await exists(files.keystoreFile)) return files;

  await mkdir(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const newEcKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-noenc'];
  // `req -x509` marks the certificate CA:TRUE (v3_ca in the default openssl.cnf).
  await runCommand(OPENSSL, [
    'req',
    '-x509',
    ...newEcKey,
    '-keyout',
    path('ca.key'),
    '-out',
    files.caFile,
    '-days',
    VALID_DAYS,
    '-subj',
    '/CN=Tessera test Kafka CA',
  ]);
  // OpenSSL 3 writes unencrypted keys as PKCS#8 (BEGIN PRIVATE KEY), the form Kafka's PEM reads.
  await runCommand(OPENSSL, [
    'req',
    '-new',
    ...newEcKey,
    '-keyout',
    path('broker.key'),
    '-out',
    path('broker.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  // Clients verify the host they dialled against subjectAltName (RFC 6125), never the CN.
  await writeFile(
    path('broker-ext.cnf'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'extendedKeyUsage=serverAuth',
      'basicConstraints=critical,CA:FALSE',
      '',
    ].join('\n'),
  );
  await runCommand(OPENSSL, [
    'x509',
    '-req',
    '-in',
    path('broker.csr'),
    '-CA',
    files.caFile,
    '-CAkey',
    path('ca.key'),
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    VALID_DAYS,
    '-extfile',
    path('broker-ext.cnf'),
    '-out',
    path('broker.pem'),
  ]);
  const [key, certificate, ca] = await Promise.all(
    ['broker.key', 'broker.pem', 'ca.pem'].map((name) => readFile(path(name), 'utf8')),
  );
  await writeFile(files.keystoreFile, `${key ?? ''}${certificate ?? ''}${ca ?? ''}`, {
    mode: 0o600,
  });
  return files;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
