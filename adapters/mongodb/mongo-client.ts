import { MongoClient, type MongoClientOptions } from 'mongodb';

/**
 * Defaults for options the connection string does not set (an option in MONGODB_URI always
 * wins). The driver's own defaults suit batch jobs: 30 s of server selection and no socket
 * timeout would hold a token request for half a minute, or forever, while the store is down.
 * Tessera would rather answer 503 quickly and let the client retry.
 */
export const CONNECTION_DEFAULTS = {
  appName: 'tessera',
  /** How long an operation waits for a usable server before failing (→ 503). */
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  /** Bounds one round trip on a connection that stopped answering. */
  socketTimeoutMS: 10_000,
  /** The driver's default; every request needs at most a few short operations. */
  maxPoolSize: 100,
} as const satisfies MongoClientOptions;

/** Option names present in a connection string's query, lower-cased (URI options are case-insensitive). */
function optionsInUri(uri: string): Set<string> {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  return new Set([...new URLSearchParams(query).keys()].map((name) => name.toLowerCase()));
}

export interface MongoClientSetup {
  /** Extra driver options (tests and benchmarks: `monitorCommands`). */
  readonly options?: MongoClientOptions;
}

/** A MongoClient with Tessera's defaults. It connects on first use, not here. */
export function createMongoClient(uri: string, setup: MongoClientSetup = {}): MongoClient {
  const inUri = optionsInUri(uri);
  const defaults = Object.fromEntries(
    Object.entries(CONNECTION_DEFAULTS).filter(([name]) => !inUri.has(name.toLowerCase())),
  );
  return new MongoClient(uri, { ...defaults, ...setup.options });
}
