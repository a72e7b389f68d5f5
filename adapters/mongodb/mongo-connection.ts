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
 * when the server closes a connection just as the server monitor sends its `hello` on it, the
 * monitor's write goes to an already-destroyed socket and waits for a `drain` that never comes
 * (Connection.writeCommand). The monitor then never checks again, the server stays "Unknown"
 * after it is back, and every operation times out in server selection until the process
 * restarts. A fresh client has fresh monitors (store-availability.ts decides when).
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
