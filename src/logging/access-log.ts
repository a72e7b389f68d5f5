import { pino, type DestinationStream, type Logger } from 'pino';

/** What one access-log line says about a finished request (src/http/request-observation.ts). */
export interface AccessLine {
  readonly requestId: string;
  readonly method: string;
  /** The path without its query string. */
  readonly path: string;
  readonly route: string;
  readonly status: number;
  readonly durationMs: number;
}

export interface AccessLog {
  write(level: 'info' | 'debug', line: AccessLine): void;
}

/**
 * The access log: one line per request, the same JSON shape pino writes (level, ISO time, the
 * logger's bindings, the fields, `"msg":"request"`), to the same destination, at the logger's
 * level. Serialised here rather than through a second pino instance because its fields are fixed
 * and never hold a secret, so nothing needs redacting, and pino's general path (bindings,
 * serializers, hooks, per-field stringification) was a quarter of the cost Tessera adds to a
 * token request (docs/benchmarks.md "Performance"). Every string goes through JSON.stringify: a
 * path is client input.
 */
export function createAccessLog(logger: Logger): AccessLog {
  const destination = (logger as unknown as Record<symbol, DestinationStream>)[
    pino.symbols.streamSym
  ] as DestinationStream;
  const bindings = JSON.stringify(logger.bindings()).slice(1, -1);
  const afterTime = bindings === '' ? '' : `,${bindings}`;
  const levelNumbers = { info: pino.levels.values['info'], debug: pino.levels.values['debug'] };
  return {
    write(level, line) {
      if (!logger.isLevelEnabled(level)) return;
      destination.write(
        `{"level":${levelNumbers[level]},"time":"${new Date().toISOString()}"${afterTime}` +
          `,"requestId":${JSON.stringify(line.requestId)},"method":${JSON.stringify(line.method)}` +
          `,"path":${JSON.stringify(line.path)},"route":${JSON.stringify(line.route)}` +
          `,"status":${line.status},"durationMs":${line.durationMs},"msg":"request"}\n`,
      );
    },
  };
}
