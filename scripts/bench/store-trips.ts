/**
 * MongoDB round trips of ONE refresh and ONE password sign-in, exactly: a Tessera on MongoDB
 * behind the counting proxy (counting-proxy.ts), one request at a time, the proxy's tally by
 * command read before and after each. The load scenarios divide by the answers they got, which
 * counts the store work of requests a run cut off at its end as well (a large share when the
 * store is slow); this counts nothing but the unit itself (docs/benchmarks.md). It runs the
 * sources (src/main.ts), so it needs no build.
 *
 *   MONGODB_URI=mongodb://127.0.0.1:27777/ sh scripts/node24.sh node scripts/bench/store-trips.ts
 */
import { startCountingProxy } from './counting-proxy.ts';
import { basicAuthorization } from './fixtures.ts';
import { signInOnce } from './sign-in-flow.ts';
import { startTesseraTarget } from './targets.ts';

const REPEATS = 3;
const storeUri = process.env['MONGODB_URI'];
if (!storeUri) throw new Error('set MONGODB_URI to the MongoDB (or FerretDB) server to count');

/** The commands `work` sent, per call, averaged over REPEATS calls one after another. */
async function tripsOf(
  commandsSent: () => Promise<Record<string, number>>,
  work: () => Promise<void>,
): Promise<Record<string, number>> {
  const before = await commandsSent();
  for (let i = 0; i < REPEATS; i += 1) await work();
  const after = await commandsSent();
  return Object.fromEntries(
    Object.entries(after)
      .map(([command, count]) => [command, (count - (before[command] ?? 0)) / REPEATS] as const)
      .filter(([, count]) => count > 0)
      .sort(([, a], [, b]) => b - a),
  );
}

const format = (label: string, trips: Record<string, number>) => {
  const total = Object.values(trips).reduce((sum, count) => sum + count, 0);
  const lines = Object.entries(trips).map(
    ([command, count]) => `  ${count.toFixed(2)}  ${command}`,
  );
  return [`${label}: ${total.toFixed(2)} round trips`, ...lines].join('\n');
};

const proxy = await startCountingProxy(storeUri);
const target = await startTesseraTarget({ store: 'mongodb', mongodbUri: proxy.uri, built: false });
try {
  const { fixtures, origin } = target;
  // Warm: the first sign-in and refresh fill the catalog cache and the signing keys.
  let refreshToken = String((await signInOnce(origin, fixtures))['refresh_token']);
  const refresh = async () => {
    const response = await fetch(`${origin}/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(fixtures.app.clientId, fixtures.app.clientSecret),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `grant_type=refresh_token&refresh_token=${refreshToken}`,
    });
    const body = (await response.json()) as { refresh_token?: string };
    if (response.status !== 200 || !body.refresh_token) throw new Error('refresh failed');
    refreshToken = body.refresh_token;
  };
  await refresh();
  const signIn = async () => {
    await signInOnce(origin, fixtures);
  };
  process.stdout.write(`${format('one refresh', await tripsOf(proxy.commandsSent, refresh))}\n`);
  process.stdout.write(`${format('one sign-in', await tripsOf(proxy.commandsSent, signIn))}\n`);
} finally {
  await target.stop();
  await proxy.close();
}
