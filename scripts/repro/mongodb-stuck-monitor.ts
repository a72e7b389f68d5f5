/**
 * Reproduces the mongodb driver hang that adapters/mongodb/mongo-connection.ts works around, on a
 * FerretDB of its own (scripts/test-services/ferretdb.ts), with a plain MongoClient: no Tessera
 * code but the client defaults (adapters/mongodb/mongo-client.ts).
 *
 *   sh scripts/node24.sh node scripts/repro/mongodb-stuck-monitor.ts [restarts] [workers]
 *
 * 1. The mechanism, deterministic: a command written to a connection whose socket was destroyed
 *    a moment before (the server closed it; the driver has not processed the `close` yet) waits
 *    for a `drain` event that never comes. `Connection.writeCommand` (mongodb 7.9.0,
 *    lib/cmap/connection.js) awaits `once(socket, 'drain')` when `socket.write` returns false,
 *    and a destroyed socket's write returns false and emits neither `drain` nor `error`; the
 *    `close` that follows marks the connection closed but does not settle that wait.
 * 2. The consequence, by chance: the server is stopped and started again while operations keep
 *    coming. When the server monitor's heartbeat is the command caught that way, the monitor
 *    stays "checking" forever: the server remains Unknown, and every operation fails server
 *    selection although a fresh client reaches the server at once. The fault drill saw it in
 *    about one restart in six; each restart here is judged by whether the client serves again
 *    within RECOVERY_MS of the server answering a fresh client. To make the race likelier, the
 *    monitor checks every 500 ms instead of every 10 s, and `workers` (default 16) operations
 *    are in flight when the server closes its connections.
 *
 * Exits 0 and prints what it saw either way: a run without a stuck restart does not prove the
 * driver fixed (raise the number of restarts; 72 restarts caught none on the machine that wrote
 * this, while part 1 shows the hang every time).
 */
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import type { MongoClient } from 'mongodb';

import { createMongoClient } from '../../adapters/mongodb/mongo-client.ts';
import { startFerretDb } from '../test-services/ferretdb.ts';

/** A healthy client notices a restarted server within its monitor's 500 ms recheck. */
const RECOVERY_MS = 15_000;
const RESTARTS = Number(process.argv[2] ?? 12);
const WORKERS = Number(process.argv[3] ?? 16);

/** Driver internals (mongodb 7.9.0): the one server's monitor and its connection. */
interface InternalConnection {
  readonly closed: boolean;
  readonly socket: { destroy(): void };
  command(
    ns: { db: string; collection: string },
    command: object,
    options: object,
  ): Promise<unknown>;
}
interface InternalServer {
  readonly description: { readonly type: string };
  readonly monitor: {
    readonly connection: InternalConnection | null;
    readonly s: { state: string };
  };
}
const serverOf = (client: MongoClient): InternalServer => {
  const topology = (
    client as unknown as { topology: { s: { servers: Map<string, InternalServer> } } }
  ).topology;
  const [server] = topology.s.servers.values();
  if (!server) throw new Error('the client knows no server');
  return server;
};

const settlesWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    sleep(ms).then(() => false),
  ]);

async function showMechanism(uri: string): Promise<void> {
  const client = createMongoClient(uri);
  try {
    await client.db('admin').command({ ping: 1 });
    const server = serverOf(client);
    while (!server.monitor.connection) await sleep(50);
    const connection = server.monitor.connection;
    // As when the server has just closed it: the socket is gone, the driver not yet told.
    connection.socket.destroy();
    const hello = connection.command({ db: 'admin', collection: '$cmd' }, { hello: 1 }, {});
    const settled = await settlesWithin(hello, 3_000);
    console.log(
      settled
        ? '1. a command on a just-destroyed socket settled: the driver no longer hangs there'
        : `1. a command on a just-destroyed socket is still pending after 3 s ` +
            `(connection closed: ${String(connection.closed)}): it waits for a drain that never comes`,
    );
  } finally {
    await client.close();
  }
}

async function restartUnderLoad(): Promise<void> {
  const ferretDb = await startFerretDb();
  // Checks every 500 ms rather than 10 s: more heartbeats, more chances to hit the window.
  const client = createMongoClient(ferretDb.uri, { options: { heartbeatFrequencyMS: 500 } });
  const items = client.db('repro').collection<{ _id: number; at: Date }>('items');
  let flowing = true;
  let stuck = 0;
  // The workers send operations back to back for the whole run, as token requests would.
  const load = Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let n = 0; flowing; n += 1) {
        await items
          .updateOne(
            { _id: worker * 1e6 + (n % 100) },
            { $set: { at: new Date() } },
            { upsert: true },
          )
          .catch(() => sleep(100));
      }
    }),
  );
  try {
    await showMechanism(ferretDb.uri);
    for (let round = 1; round <= RESTARTS; round += 1) {
      await ferretDb.stop();
      await sleep(500 + Math.random() * 1_000);
      await ferretDb.start(); // resolves once a fresh client can ping it
      const back = Date.now();
      let recovered = false;
      while (!recovered && Date.now() - back < RECOVERY_MS) {
        recovered = await client
          .db('repro')
          .command({ ping: 1 })
          .then(
            () => true,
            () => false,
          );
      }
      const server = serverOf(client);
      const state = `server ${server.description.type}, monitor ${server.monitor.s.state}`;
      if (recovered) {
        console.log(`2. restart ${round}: served again after ${Date.now() - back} ms (${state})`);
      } else {
        stuck += 1;
        console.log(
          `2. restart ${round}: STUCK — nothing served for ${RECOVERY_MS} ms after the server ` +
            `answered a fresh client (${state})`,
        );
        break;
      }
    }
    console.log(
      stuck > 0
        ? 'the client stayed stuck: the driver still needs the client replacement'
        : `no stuck client in ${RESTARTS} restarts (rare, or fixed: part 1 tells which)`,
    );
  } finally {
    flowing = false;
    await client.close();
    await load;
    await ferretDb.stop();
    await rm(ferretDb.dataDir, { recursive: true, force: true });
  }
}

await restartUnderLoad();
