/** The counting proxy's thread (counting-proxy.ts): forwards bytes, counts client messages. */
import { connect, createServer, type AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

import type { CountingProxySetup } from './counting-proxy.ts';
import { createWireMessageCounter } from './wire-message-counter.ts';

const setup = workerData as CountingProxySetup;
const counted = new Int32Array(setup.count);

const server = createServer((client) => {
  const counter = createWireMessageCounter();
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
server.listen(0, '127.0.0.1', () => {
  parentPort?.postMessage({ port: (server.address() as AddressInfo).port });
});
