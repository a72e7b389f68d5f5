/**
 * Does signing people in slow down the token endpoint? Measures client-credentials latency
 * (ES256 JWT access tokens, signed through WebCrypto on libuv's thread pool) in three phases:
 *
 *   1. alone;
 *   2. while LOGINS concurrent sign-ins run through the hosted pages (argon2id on Tessera's
 *      worker pool, off libuv's thread pool);
 *   3. while the same number of argon2id derivations run on libuv's thread pool, as a hasher
 *      using the async crypto.argon2 or the argon2 npm addon would run them.
 *
 * Bounded: each phase stops after TOKENS requests or SECONDS seconds. Everything talks to a
 * Tessera started in this process on 127.0.0.1. Run: npm run bench:sign-in
 */
import { argon2, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startTessera } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/logging/create-logger.ts';
import { basicAuthorization, benchSecrets } from './fixtures.ts';
import { percentile } from './load.ts';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 400);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 4);
const PASSWORD = 'correct horse battery staple';
const API = 'https://bench.example.com/api';

const dataDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const config = loadConfig({
  ...process.env,
  PORT: '0',
  TESSERA_DATA_DIR: dataDir,
  ...benchSecrets(),
});
const tessera = await startTessera(config, { logger: createLogger('silent') });
const issuer = tessera.issuer;

await tessera.resourceServers.create({ audience: API, scopes: ['bench:read'] });
const { client, secret } = await tessera.clients.create({
  name: 'bench service',
  metadata: { grant_types: ['client_credentials'], scope: 'bench:read' },
});
const basic = basicAuthorization(client.clientId, secret!.secret);
const app = await tessera.clients.create({
  name: 'bench app',
  metadata: {
    grant_types: ['authorization_code'],
    redirect_uris: ['http://127.0.0.1:9/cb'],
    token_endpoint_auth_method: 'none',
    scope: 'openid',
  },
});
await tessera.accounts.create({ username: 'bench', password: PASSWORD });

async function clientCredentials(): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&resource=${encodeURIComponent(API)}&scope=bench:read`,
  });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}`);
  return performance.now() - started;
}

/** One sign-in page ready to take password attempts: its URL, cookies and CSRF token. */
async function openLoginPage(): Promise<{ action: string; cookie: string; csrf: string }> {
  const cookies = new Map<string, string>();
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  const challenge = Buffer.from(randomBytes(32)).toString('base64url');
  const auth = new URL(`${issuer}/auth`);
  for (const [name, value] of Object.entries({
    client_id: app.client.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: 'http://127.0.0.1:9/cb',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })) {
    auth.searchParams.set(name, value);
  }
  const start = await fetch(auth, { redirect: 'manual' });
  keep(start);
  const page = new URL(start.headers.get('location')!, issuer).href;
  const cookieHeader = () => [...cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  const login = await fetch(page, { headers: { cookie: cookieHeader() } });
  keep(login);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  return { action: `${page}/login`, cookie: cookieHeader(), csrf };
}

interface Load {
  stop(): Promise<number>;
}

/** LOGINS concurrent loops of `step` until stopped; `stop` says how many steps completed. */
function startLoops(step: () => Promise<void>): Load {
  let running = true;
  let completed = 0;
  const loops = Array.from({ length: LOGINS }, async () => {
    while (running) {
      await step();
      completed += 1;
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return completed;
    },
  };
}

/** LOGINS loops of complete sign-ins on the hosted login page (one argon2 verify each). */
function startSignInLoad(): Load {
  return startLoops(async () => {
    const { action, cookie, csrf } = await openLoginPage();
    const response = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf, username: 'bench', password: PASSWORD }).toString(),
    });
    await response.arrayBuffer();
    if (response.status !== 303) throw new Error(`login answered ${response.status}`);
  });
}

/** LOGINS loops of argon2id on libuv's thread pool, with the configured cost. */
function startThreadPoolArgon2Load(): Load {
  const { memoryKib, iterations, parallelism } = config.passwords.argon2;
  const derive = () =>
    new Promise<void>((resolve, reject) => {
      argon2(
        'argon2id',
        {
          message: PASSWORD,
          nonce: randomBytes(16),
          memory: memoryKib,
          passes: iterations,
          parallelism,
          tagLength: 32,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  return startLoops(derive);
}

async function phase(name: string, load?: () => Load) {
  for (let i = 0; i < 20; i += 1) await clientCredentials(); // warm-up
  const running = load?.();
  const latencies: number[] = [];
  const started = performance.now();
  while (latencies.length < TOKENS && performance.now() - started < SECONDS * 1000) {
    latencies.push(await clientCredentials());
  }
  const elapsed = (performance.now() - started) / 1000;
  const signIns = running ? await running.stop() : 0;
  latencies.sort((a, b) => a - b);
  return {
    phase: name,
    tokens: latencies.length,
    'p50 ms': Number(percentile(latencies, 50).toFixed(2)),
    'p99 ms': Number(percentile(latencies, 99).toFixed(2)),
    'sign-ins or argon2/s': Number((signIns / elapsed).toFixed(1)),
  };
}

try {
  const { memoryKib, iterations, parallelism } = config.passwords.argon2;
  console.log(
    `argon2id m=${memoryKib} KiB t=${iterations} p=${parallelism}; ${config.passwords.workers} ` +
      `argon2 worker(s); libuv pool ${process.env.UV_THREADPOOL_SIZE ?? 4} threads; ` +
      `${LOGINS} concurrent sign-ins; up to ${TOKENS} sequential token requests or ${SECONDS} s per phase`,
  );
  const results = [
    await phase('client credentials alone'),
    await phase(`+ ${LOGINS} sign-ins (argon2 worker pool)`, startSignInLoad),
    await phase(`+ ${LOGINS} argon2 on libuv pool`, startThreadPoolArgon2Load),
  ];
  console.table(results);
} finally {
  await tessera.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
