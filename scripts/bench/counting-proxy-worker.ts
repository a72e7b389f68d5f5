/**
 * The counting proxy's thread (counting-proxy.ts): forwards bytes, counts client messages, and
 * tallies them by command (answers a `commands` message with the tally so far).
 */
import { connect, createServer, type AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

import type { CountingProxySetup } from './counting-proxy.ts';
import { createWireMessageCounter } from './wire-message-counter.ts';

const setup = workerData as CountingProxySetup;
const counted = new Int32Array(setup.count);
/** Messages by command over every connection, closed ones included. */
const commands = new Map<string, number>();

const server = createServer((client) => {
  const counter = createWireMessageCounter(commands);
  const store = connect({ host: setup.upstreamHost, port: setup.upstreamPort });
  const end = () => {
    client.destroy();
    store.destroy();
  };
  for (const socket of [client, store]) {
    socket.setNoDelay(true);
    socket.on('error', end);
    socket.on('close', end);
  }
  client.on('data', (chunk: Buffer) => {
    const before = counter.messages;
    try {
      counter.push(chunk);
    } catch {
      end();
      return;
    }
    Atomics.add(counted, 0, counter.messages - before);
  });
  client.pipe(store);
  store.pipe(client);
});
parentPort?.on('message', (request: { type: string }) => {
  if (request.type === 'commands')
    parentPort?.postMessage({ type: 'commands', commands: Object.fromEntries(commands) });
});
server.listen(0, '127.0.0.1', () => {
  parentPort?.postMessage({ port: (server.address() as AddressInfo).port });
});
