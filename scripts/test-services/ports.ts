import { connect, createServer } from 'node:net';

/**
 * Asks the kernel for an unused loopback port by binding port 0, then releases it.
 *
 * Another process could grab the port before the service binds it; on a test machine that window
 * is small enough, and the service's startup check reports the clash if it happens.
 */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('findFreePort: server did not report a TCP address');
  }
  return address.port;
}

/** Resolves once something accepts TCP connections on the port; a cheap first readiness check. */
export async function assertTcpAccepts(port: number, host = '127.0.0.1'): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ port, host });
    socket.setTimeout(1_000, () =>
      socket.destroy(new Error(`connect to ${host}:${port} timed out`)),
    );
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}
