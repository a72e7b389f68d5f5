/**
 * A TCP proxy on loopback between Tessera and the MongoDB server that counts the messages
 * Tessera sends (wire-message-counter.ts): the bench's "store round trips" per request, counted
 * without trusting Tessera's own metrics. Every client-to-server message of the protocol Tessera
 * speaks (OP_MSG without moreToCome) is a request the server answers, so messages sent = round
 * trips; the driver's monitoring (a heartbeat every 10 s per connection pool) counts too, a few
 * per run.
 *
 * The proxy runs on a worker thread (counting-proxy-worker.ts), so that autocannon keeping the
 * bench's own event loop busy does not delay the store's traffic; the count is one shared
 * integer the worker adds to and the bench reads.
 */
import { Worker } from 'node:worker_threads';

export interface CountingProxy {
  /** `uri` with its host replaced by the proxy's (one host only: directConnection=true). */
  readonly uri: string;
  /** Messages sent to the server through the proxy so far, over every connection. */
  readonly messagesSent: () => number;
  /** Messages sent so far by command and collection (describeWireMessage), over every connection. */
  readonly commandsSent: () => Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface CountingProxySetup {
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** One Int32: the messages counted so far. */
  readonly count: SharedArrayBuffer;
}

/** Starts the proxy in front of the single host of `uri` (mongodb://host:port/...). */
export async function startCountingProxy(uri: string): Promise<CountingProxy> {
  const url = new URL(uri);
  if (url.protocol !== 'mongodb:' || url.host.includes(',')) {
    throw new Error('the counting proxy needs a mongodb:// URI with one host');
  }
  const count = new SharedArrayBuffer(4);
  const setup: CountingProxySetup = {
    upstreamHost: url.hostname,
    upstreamPort: Number(url.port || 27017),
    count,
  };
  const worker = new Worker(new URL('./counting-proxy-worker.ts', import.meta.url), {
    workerData: setup,
  });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { port: number }) => resolve(message.port));
    worker.once('error', reject);
  });
  const counted = new Int32Array(count);
  const proxied = new URL(uri);
  proxied.host = `127.0.0.1:${port}`;
  proxied.searchParams.set('directConnection', 'true');
  return {
    uri: proxied.toString(),
    messagesSent: () => Atomics.load(counted, 0),
    commandsSent: () =>
      new Promise((resolve) => {
        const answer = (message: { type?: string; commands?: Record<string, number> }) => {
          if (message.type !== 'commands') return;
          worker.off('message', answer);
          resolve(message.commands ?? {});
        };
        worker.on('message', answer);
        worker.postMessage({ type: 'commands' });
      }),
    async close() {
      await worker.terminate();
    },
  };
}
