import type { Server } from 'node:http';

import type { Logger } from 'pino';

/** Stops accepting; waits for in-flight requests, cutting them off after `timeoutMs`. */
export async function closeServer(
  server: Server,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() only drops connections idle at that moment; a keep-alive connection whose request
  // finishes later would otherwise linger until its keep-alive timeout.
  const sweeper = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    logger.warn({ timeoutMs }, 'shutdown timeout reached; closing remaining connections');
    server.closeAllConnections();
  }, timeoutMs);
  timer.unref();
  await closed;
  clearInterval(sweeper);
  clearTimeout(timer);
}
