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
