import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log line. Tessera never logs secrets on
 * purpose; this is the second line of defence should an object carrying one be logged.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'client_secret',
  '*.client_secret',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'id_token',
  '*.id_token',
  'token',
  '*.token',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'privateKey',
  '*.privateKey',
];

export function createLogger(level: LevelWithSilent, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tessera' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/**
 * The access log: the same destination, level and base fields as `logger`, without redaction.
 * Its lines carry fixed fields that never hold a secret (src/http/request-observation.ts), and
 * redaction copies each logged object: it was the largest per-request cost of logging (about
 * 19 µs of 35 µs a line, README "Performance").
 */
export function createAccessLogger(logger: Logger): Logger {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ];
  return pino(
    { level: logger.level, base: logger.bindings(), timestamp: pino.stdTimeFunctions.isoTime },
    destination,
  );
}
