/**
 * Builds FerretDB and fetches the Kafka jars into the cache, so that the first `npm test` does not
 * spend a minute inside vitest's globalSetup. Usage: sh scripts/node24.sh node scripts/test-services/provision.ts
 */
import { ensureFerretDbBinary, findCachedFerretDbBinary } from './ferretdb.ts';
import { ensureKafkaJars, findCachedKafkaJars } from './kafka.ts';

interface Artefact {
  name: string;
  findCached: () => Promise<string | undefined>;
  ensure: () => Promise<string>;
  action: string;
}

async function provision(artefact: Artefact): Promise<boolean> {
  const cached = await artefact.findCached();
  if (cached !== undefined) {
    console.log(`${artefact.name}: cached at ${cached}`);
    return true;
  }
  console.log(`${artefact.name}: ${artefact.action}…`);
  const startedAt = performance.now();
  try {
    const path = await artefact.ensure();
    const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
    console.log(`${artefact.name}: ready at ${path} (${seconds} s)`);
    return true;
  } catch (error) {
    console.error(
      `${artefact.name}: failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}

// Go compiles while Maven mostly waits on the network, so both run at once.
const results = await Promise.all([
  provision({
    name: 'FerretDB',
    findCached: findCachedFerretDbBinary,
    ensure: ensureFerretDbBinary,
    action: 'building from the Go module proxy (about a minute)',
  }),
  provision({
    name: 'Kafka',
    findCached: findCachedKafkaJars,
    ensure: ensureKafkaJars,
    action: 'fetching jars from Maven Central',
  }),
]);
if (results.includes(false)) process.exitCode = 1;
