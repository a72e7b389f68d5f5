import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { Logger } from 'pino';

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
  /** Logs when the store becomes unreachable and when it is back (once per transition). */
  readonly logger?: Logger;
  /** Extra driver options (tests and benchmarks: `monitorCommands`). */
  readonly options?: MongoClientOptions;
}

/** A MongoClient with Tessera's defaults. It connects on first use, not here. */
export function createMongoClient(uri: string, setup: MongoClientSetup = {}): MongoClient {
  const inUri = optionsInUri(uri);
  const defaults = Object.fromEntries(
    Object.entries(CONNECTION_DEFAULTS).filter(([name]) => !inUri.has(name.toLowerCase())),
  );
  const client = new MongoClient(uri, { ...defaults, ...setup.options });
  if (setup.logger) logReachability(client, setup.logger);
  return client;
}

function logReachability(client: MongoClient, logger: Logger): void {
  let reachable: boolean | undefined;
  client.on('topologyDescriptionChanged', (event) => {
    const now = event.newDescription.hasDataBearingServers;
    if (now === reachable) return;
    if (now) {
      if (reachable === false) logger.info('MongoDB is reachable again');
    } else if (reachable === true) {
      const errors = [...event.newDescription.servers.values()]
        .map((server) => server.error?.message)
        .filter(Boolean);
      logger.warn({ errors }, 'MongoDB is unreachable; requests needing the store answer 503');
    }
    reachable = now;
  });
}
