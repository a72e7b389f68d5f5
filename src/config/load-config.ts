import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { arrangeConfig, type Config } from './config.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { loadOrCreateDevSecrets, type DevSecrets } from './dev-secrets.ts';
import { ENV_VARIABLES, type Env } from './env-schema.ts';
import { readEnv } from './read-env.ts';

/**
 * Parses the environment once into a frozen Config. Throws a ConfigError naming every invalid
 * variable, one line each. In production (NODE_ENV=production) every development default is
 * refused (the rules in src/config/env/).
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const reading = readEnv(env);
  const problems = [...reading.problems];
  const kafkaCa = readKafkaCa(reading.env, problems);
  throwIfAny(problems);

  const secrets = resolveSecrets(reading.env);
  return deepFreeze(
    arrangeConfig(reading.env, { ...secrets, kafkaCa, warnings: reading.warnings }),
  );
}

/**
 * Set secrets as parsed; outside production (the rules refuse it in production) the unset ones
 * come from the data dir's development secrets, parsed by the same schemas.
 */
function resolveSecrets(env: Env) {
  const devDefaults: string[] = [];
  let dev: DevSecrets | undefined;
  const orDevelopment = <
    Name extends 'TESSERA_KEY_ENCRYPTION_KEY' | 'TESSERA_COOKIE_KEYS' | 'TESSERA_SECRET_PEPPER',
  >(
    variable: Name,
    pick: (secrets: DevSecrets) => string,
  ): NonNullable<Env[Name]> => {
    const value = env[variable];
    if (value !== undefined) return value;
    devDefaults.push(variable);
    dev ??= loadOrCreateDevSecrets(resolve(env.TESSERA_DATA_DIR));
    const parsed = ENV_VARIABLES[variable].schema.safeParse(pick(dev));
    if (!parsed.success || parsed.data === undefined) {
      const reason = parsed.error?.issues[0]?.message ?? 'blank';
      throwIfAny([
        { variable, message: `invalid development value in dev-secrets.json (${reason})` },
      ]);
    }
    return parsed.data as NonNullable<Env[Name]>;
  };
  return {
    keyEncryptionKey: orDevelopment('TESSERA_KEY_ENCRYPTION_KEY', (s) => s.keyEncryptionKey),
    cookieKeys: orDevelopment('TESSERA_COOKIE_KEYS', (s) => s.cookieKeys.join(',')),
    secretPepper: orDevelopment('TESSERA_SECRET_PEPPER', (s) => s.secretPepper),
    devDefaults,
  };
}

/** The PEM of KAFKA_SSL_CA_FILE when TLS is on; a problem when it cannot be read or holds none. */
function readKafkaCa(env: Env, problems: ConfigProblem[]): string | undefined {
  const reported = new Set(problems.map(({ variable }) => variable));
  const path = env.KAFKA_SSL_CA_FILE;
  if (
    path === undefined ||
    !env.KAFKA_SSL ||
    reported.has('KAFKA_SSL_CA_FILE') ||
    reported.has('KAFKA_SSL')
  ) {
    return undefined;
  }
  let ca: string;
  try {
    ca = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    problems.push({ variable: 'KAFKA_SSL_CA_FILE', message: `cannot read ${path} (${code})` });
    return undefined;
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
    problems.push({ variable: 'KAFKA_SSL_CA_FILE', message: `${path} holds no PEM certificate` });
    return undefined;
  }
  return ca;
}

/** Throws the problems, if any, in the order of the definitions (and of docs/configuration.md). */
function throwIfAny(problems: readonly ConfigProblem[]): void {
  const order = Object.keys(ENV_VARIABLES);
  const [first, ...rest] = problems.toSorted(
    (a, b) => order.indexOf(a.variable) - order.indexOf(b.variable),
  );
  if (first) throw new ConfigError([first, ...rest]);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
