import type { Db, MongoClient, MongoClientOptions } from 'mongodb';

import { createMongoClient } from './mongo-client.ts';

export interface MongoConnectionOptions {
  readonly uri: string;
  readonly dbName: string;
  /** Extra driver options for every client this connection creates (e.g. `monitorCommands`). */
  readonly clientOptions?: MongoClientOptions;
}

/**
 * The storage's MongoClient, replaceable while Tessera runs. The replacement exists for one
 * driver failure (mongodb 7.9.0, seen in the fault drill, test/fault/mongodb-outage.test.ts):
 * Connection.writeCommand (node_modules/mongodb/lib/cmap/connection.js) awaits
 * `once(socket, 'drain')` when `socket.write` returns false, and a socket already destroyed (the
 * server closed the connection; the driver has not handled its `close` yet) returns false and
 * emits neither `drain` nor `error`; the `close` that follows marks the connection closed but
 * does not settle that wait. When the command caught this way is the server monitor's `hello`,
 * the monitor never checks again, the server stays "Unknown" after it is back, and every
 * operation times out in server selection until the process restarts. A fresh client has fresh
 * monitors (store-availability.ts decides when).
 *
 * Reproduction: scripts/repro/mongodb-stuck-monitor.ts shows the hang every time (a command on
 * a just-destroyed socket never settles) and tries for the stuck monitor by restarting a server
 * under load. The drill saw the stuck monitor in about one restart in six when the replacement
 * was added; neither the script (0 of 72 restarts) nor the drill without the replacement (0 of
 * 15 runs) has caught it since: rare or gone, so measure before removing it.
 *
 * Upstream: no node-mongodb-native issue (JIRA NODE-…) found for this case. The drain wait came
 * with NODE-5993 (https://github.com/mongodb/node-mongodb-native/pull/4022); NODE-6370
 * (https://github.com/mongodb/node-mongodb-native/pull/4245) fixed another hang around it, a
 * reply lost while the wait was pending. Remove the replacement once the driver settles the wait
 * when the connection closes.
 */
export interface MongoConnection {
  readonly client: MongoClient;
  readonly db: Db;
  /** Connects a fresh client on the same URI, then closes the old one (its in-flight operations fail). */
  replace(): Promise<void>;
  /** True when a short-lived client of its own can ping the server: the server is up. */
  probe(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export function createMongoConnection(options: MongoConnectionOptions): MongoConnection {
  const open = () => {
    const client = createMongoClient(options.uri, {
      ...(options.clientOptions ? { options: options.clientOptions } : {}),
    });
    return { client, db: client.db(options.dbName) };
  };
  let current = open();

  return {
    get client() {
      return current.client;
    },
    get db() {
      return current.db;
    },
    async replace() {
      const next = open();
      await next.client.connect();
      const previous = current;
      current = next;
      await previous.client.close();
    },
    async probe(timeoutMs) {
      const client = createMongoClient(options.uri, {
        options: { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs },
      });
      try {
        await client.db(options.dbName).command({ ping: 1 });
        return true;
      } catch {
        return false;
      } finally {
        await client.close();
      }
    },
    async close() {
      await current.client.close();
    },
  };
}
