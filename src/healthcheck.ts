/**
 * The container health check (Dockerfile HEALTHCHECK): exits 0 when GET /healthz on this
 * container answers 200 within the timeout, 1 otherwise. The image has no curl or wget; this
 * runs on the same node, reads the same PORT/HOST, and needs nothing else.
 * Usage: `node dist/src/healthcheck.js` (or `node src/healthcheck.ts` in development).
 */
const TIMEOUT_MS = 4000;

/** Where to reach the server from inside its container: a wildcard bind answers on loopback. */
export function healthcheckUrl(env: Record<string, string | undefined>): string {
  const port = env['PORT'] || '3000';
  const host = env['HOST'];
  if (!host || host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}/healthz`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
}

async function checkHealth(): Promise<number> {
  try {
    const response = await fetch(healthcheckUrl(process.env), {
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status === 200) return 0;
    process.stderr.write(`healthcheck: /healthz answered ${response.status}\n`);
  } catch (error) {
    process.stderr.write(`healthcheck: ${(error as Error).message}\n`);
  }
  return 1;
}

if (import.meta.main) process.exit(await checkHealth());
