import { Writable } from 'node:stream';

import type { LevelWithSilent, Logger } from 'pino';

import { createLogger } from '../../src/logging/create-logger.ts';

/** A real logger whose lines land, parsed, in `lines` instead of stdout. */
export function createCapturedLogger(level: LevelWithSilent): {
  logger: Logger;
  lines: Record<string, unknown>[];
} {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}
